using ZeroBridge.Protocol;

namespace ZeroBridge.Execution;

/// <summary>What running a command gave: its result, or the error map the caller gets instead.</summary>
/// <param name="Result">The command's return value (awaited when it was a task); null on failure.</param>
/// <param name="Error">The error, or null when the command succeeded.</param>
public readonly record struct ExecutionOutcome(object? Result, ErrorMap? Error)
{
    /// <summary>Whether the command succeeded.</summary>
    public bool Ok => Error is null;

    /// <summary>A failed outcome.</summary>
    public static ExecutionOutcome Failed(ErrorMap error) => new(null, error);
}
