namespace ZeroBridge.Tasks;

/// <summary>
/// What <see cref="CreditScheduler"/> asks its driver to do. The producer's socket implements it; unit tests record
/// the calls instead.
/// </summary>
internal interface ITaskPoolOutput
{
    /// <summary>Sends <paramref name="task"/> (attempt <see cref="PendingTask.Attempts"/>) to <paramref name="worker"/>; false when the worker cannot be reached.</summary>
    bool SendTask(PoolWorker worker, PendingTask task);

    /// <summary>A worker joined or was lost; <paramref name="names"/> are the workers connected now.</summary>
    void WorkersChanged(IReadOnlyList<string> names);
}
