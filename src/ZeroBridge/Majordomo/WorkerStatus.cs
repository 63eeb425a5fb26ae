namespace ZeroBridge.Majordomo;

/// <summary>
/// A snapshot of a <see cref="ZeroBridgeWorker"/>'s connections to its broker (<see cref="ZeroBridgeWorker.Status"/>),
/// what its health check reports.
/// </summary>
/// <param name="IsRunning">Whether the worker was started and not stopped.</param>
/// <param name="Connections">The worker's connections (one per unit of <see cref="ZeroBridgeWorkerOptions.Concurrency"/>).</param>
/// <param name="Connected">
/// Connections registered with the broker whose broker was heard from (any message is a heartbeat) within the
/// liveness window, <see cref="ZeroBridgeWorkerOptions.HeartbeatInterval"/> × <see cref="ZeroBridgeWorkerOptions.HeartbeatLiveness"/>.
/// </param>
/// <param name="SinceHeard">How long ago the broker was last heard on any connection; null when never on the current sockets.</param>
/// <param name="Liveness">The liveness window: a connection silent for longer is not connected (and is renewed).</param>
public sealed record WorkerStatus(bool IsRunning, int Connections, int Connected, TimeSpan? SinceHeard, TimeSpan Liveness);
