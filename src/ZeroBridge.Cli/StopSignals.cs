using System.Runtime.InteropServices;

namespace ZeroBridge.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM as a cancellation token, for the verbs that run until stopped or may be interrupted
/// (call, sub, submit, task-worker, broker, worker). The signal is handled, not fatal: the verb finishes its own way
/// (a summary, a goodbye to its peers) and exits with its own code. System.CommandLine's token is linked in too.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    private StopSignals(CancellationToken also)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(also);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Starts listening until disposed; <paramref name="also"/> (the parser's token) stops as well.</summary>
    public static StopSignals Listen(CancellationToken also) => new(also);

    /// <summary>Cancelled on the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Until a signal comes.</summary>
    public Task WaitAsync()
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _stop.Token.Register(() => stopped.TrySetResult());
        return stopped.Task;
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // handled: the verb stops in order instead of the process ending here
        _stop.Cancel();
    }

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _stop.Dispose();
    }
}
