namespace ZeroBridge.Execution;

/// <summary>One command to run, as every route decodes it.</summary>
/// <param name="Command">The command name.</param>
/// <param name="Timeout">The caller's deadline, counted from when the executor takes the call; null for none.</param>
/// <param name="Arguments">The msgpack <c>[positional, keyword]</c> frame, or null when absent.</param>
/// <param name="Attachments">The attachment frames the arguments refer to.</param>
public sealed record CommandCall(string Command, TimeSpan? Timeout, ReadOnlyMemory<byte>? Arguments,
    IReadOnlyList<ReadOnlyMemory<byte>> Attachments)
{
    /// <summary>The caller's W3C <c>traceparent</c>, which the command's activity continues; null to start a new trace.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The caller's W3C <c>tracestate</c>.</summary>
    public string? TraceState { get; init; }
}
