namespace ZeroBridge.Transport;

/// <summary>
/// Counts the requests a server or worker is running, and lets shutdown wait until there are none (or a deadline
/// passes) without polling.
/// </summary>
internal sealed class RunningRequests
{
    private readonly object _gate = new();
    private int _count;
    private TaskCompletionSource _idle = NewCompleted();

    /// <summary>How many are running now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>One more is running.</summary>
    public void Enter()
    {
        lock (_gate)
        {
            if (_count++ == 0)
                _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>One has finished.</summary>
    public void Exit()
    {
        lock (_gate)
        {
            if (--_count == 0)
                _idle.TrySetResult();
        }
    }

    /// <summary>Waits until none is running; returns false when <paramref name="timeout"/> or cancellation came first.</summary>
    public async Task<bool> WaitIdleAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task idle;
        lock (_gate)
            idle = _idle.Task;
        try
        {
            await idle.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    private static TaskCompletionSource NewCompleted()
    {
        var completed = new TaskCompletionSource();
        completed.SetResult();
        return completed;
    }
}
