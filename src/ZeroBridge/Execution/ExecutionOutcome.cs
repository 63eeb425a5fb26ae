using ZeroBridge.Protocol;

namespace ZeroBridge.Execution;

/// <summary>What running a command gave: its result, or the error map the caller gets instead.</summary>
/// <param name="Result">The command's return value (awaited when it was a task); null on failure.</param>
/// <param name="Error">The error, or null when the command succeeded.</param>
public readonly record struct ExecutionOutcome(object? Result, ErrorMap? Error)
{
    /// <summary>Whether the command succeeded.</summary>
    public bool Ok => Error is null;

    /// <summary>
    /// The request's dependency-injection scope, kept open until the result is encoded: a result may still read from
    /// a scoped service (a data reader over a scoped <c>DbContext</c>'s connection). Null without a container.
    /// </summary>
    internal IAsyncDisposable? Scope { get; init; }

    /// <summary>Ends the request's scope, once the result has been encoded (or will never be).</summary>
    public ValueTask ReleaseAsync() => Scope?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>A failed outcome.</summary>
    public static ExecutionOutcome Failed(ErrorMap error) => new(null, error);
}
