using ZeroBridge.Security;

namespace ZeroBridge.Tasks;

/// <summary>Settings of a <see cref="ZeroBridgeTaskWorker"/>. Immutable; change with <c>with</c>.</summary>
public sealed record ZeroBridgeTaskWorkerOptions
{
    /// <summary>The options with every default.</summary>
    public static ZeroBridgeTaskWorkerOptions Default { get; } = new();

    /// <summary>How many tasks run at once: the credit announced to the producer (default: 1).</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>
    /// How many tasks beyond <see cref="Concurrency"/> the worker takes ahead (default: 0): the next task is then
    /// already here when one finishes, instead of a round trip to the producer later. Worth 1 or 2 for tasks of well
    /// under a millisecond; the worker then holds up to <c>Concurrency + Prefetch</c> tasks, so a slow worker keeps that
    /// many from the others: leave it at 0 for long tasks. The credit announced is the sum.
    /// </summary>
    public int Prefetch { get; init; }

    /// <summary>How often a heartbeat goes to the producer (default: 1 s).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The worker's name, for the producer's display (default: <c>dotnet-HOST-PID</c>).</summary>
    public string? Name { get; init; }

    /// <summary>Whether error results carry the stack trace (default: true).</summary>
    public bool IncludeStackTraces { get; init; } = true;

    /// <summary>
    /// How long stopping waits for running tasks to answer before it cancels them and says goodbye (default: 5 s);
    /// the producer re-sends the tasks that did not answer to another worker at once. Zero hands them back at once.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest task accepted (default: 256 MiB); a larger one closes the connection.</summary>
    public long MaxTaskBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// The producer's CURVE public key, Z85 (default: null, plain text). When set, the worker speaks only CurveZMQ and
    /// only to the holder of this key. Read it from the producer's <c>NAME.key</c> with <see cref="ZeroBridgeCertificate.Load"/>.
    /// </summary>
    public string? ServerKey { get; init; }

    /// <summary>The worker's own CURVE key pair, used with <see cref="ServerKey"/> (default: null, a fresh throwaway pair).</summary>
    public ZeroBridgeCertificate? Certificate { get; init; }
}
