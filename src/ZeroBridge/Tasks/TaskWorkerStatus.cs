namespace ZeroBridge.Tasks;

/// <summary>
/// A snapshot of a <see cref="ZeroBridgeTaskWorker"/>'s connection to its producer
/// (<see cref="ZeroBridgeTaskWorker.Status"/>), what its health check reports.
/// </summary>
/// <param name="IsRunning">Whether the worker was started and not stopped.</param>
/// <param name="SinceHeard">How long ago the producer's last message arrived (a heartbeat, a task, a notice); null when never.</param>
/// <param name="Liveness">
/// How long the producer may stay silent before it counts as gone: <see cref="MissedHeartbeats"/> of the heartbeat
/// interval it announces (docs/protocol.md §12.2); null when it announced none (a producer that sends no heartbeats).
/// </param>
/// <param name="Refusal">Why the producer gives this worker no task (its key refused, or no certificate), or null.</param>
/// <param name="Running">Tasks running now.</param>
/// <param name="Concurrency">The most tasks the worker runs at once (its credit).</param>
public sealed record TaskWorkerStatus(bool IsRunning, TimeSpan? SinceHeard, TimeSpan? Liveness, string? Refusal, int Running, int Concurrency)
{
    /// <summary>How many of the producer's heartbeat intervals may pass without a message before it counts as gone.</summary>
    public const int MissedHeartbeats = 3;

    /// <summary>Whether the producer was heard within <see cref="Liveness"/> (or, when it sends no heartbeats, ever).</summary>
    public bool ProducerAlive => SinceHeard is { } since && (Liveness is not { } liveness || since <= liveness);
}
