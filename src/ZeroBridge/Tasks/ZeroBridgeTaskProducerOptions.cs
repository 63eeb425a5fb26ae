using ZeroBridge.Security;
using ZeroBridge.Transport;

namespace ZeroBridge.Tasks;

/// <summary>Settings of a <see cref="ZeroBridgeTaskProducer"/>. Immutable; change with <c>with</c>.</summary>
public sealed record ZeroBridgeTaskProducerOptions
{
    /// <summary>The options with every default.</summary>
    public static ZeroBridgeTaskProducerOptions Default { get; } = new();

    /// <summary>The endpoint workers connect to (default: <c>tcp://127.0.0.1:5560</c>). Port <c>*</c> picks a free one.</summary>
    public string Endpoint { get; init; } = "tcp://127.0.0.1:5560";

    /// <summary>
    /// How long a worker may stay unheard (no heartbeat, no result) before it counts as lost and the tasks it held
    /// are re-sent to other workers (default: 5 s).
    /// </summary>
    public TimeSpan WorkerTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often the producer sends each of its workers a heartbeat (default: 1 s), so a worker can tell a live
    /// producer from a vanished one while it has no task (its health check reports it; docs/protocol.md §12.2).
    /// </summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a task may stay unanswered before it is re-sent although its worker is alive (default: null, only
    /// lost workers' tasks are re-sent). The first result wins; a late one is dropped.
    /// </summary>
    public TimeSpan? TaskTimeout { get; init; }

    /// <summary>How many times a task is sent before it fails with code <c>worker_lost</c> (default: 3).</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>
    /// The most tasks one worker holds at once, whatever credit it announces (default: 256): a worker announcing
    /// 2^31 would otherwise take the whole queue.
    /// </summary>
    public int MaxCreditPerWorker { get; init; } = 256;

    /// <summary>The largest message accepted from a worker (default: 1 GiB); a larger one closes that connection.</summary>
    public long MaxResultBytes { get; init; } = 1L << 30;

    /// <summary>
    /// The producer's CURVE key pair (default: null, plain text). When set, the producer speaks only CurveZMQ, and
    /// workers must be given its public key (<see cref="ZeroBridgeCertificate.PublicKey"/>). Load it with
    /// <see cref="ZeroBridgeCertificate.Load"/> from a <c>NAME.key_secret</c> file. See docs/security.md.
    /// </summary>
    public ZeroBridgeCertificate? Certificate { get; init; }

    /// <summary>
    /// Whether the producer may hand out tasks in plain text on an endpoint other machines can reach (default: false:
    /// it refuses to start there without a <see cref="Certificate"/>). Only for networks where every host is trusted.
    /// </summary>
    public bool Insecure { get; init; }

    /// <summary>
    /// The worker keys that may take tasks (default: null, any worker that completes the CURVE handshake). With a list,
    /// a worker gets tasks only after it proved, on its connection, the secret key of a listed key (<c>auth.hello</c>,
    /// <c>auth.prove</c>: docs/protocol.md §12.4); until then its <c>ready</c> and heartbeats are answered with an
    /// <c>unauthenticated</c> notice and it is not counted as a worker. Needs <see cref="Certificate"/>: the proof is
    /// made for the producer's key. See docs/security.md.
    /// </summary>
    public AllowList? AllowList { get; init; }

    /// <summary>
    /// What every connection of workers must do to stay open (default: <see cref="Transport.ConnectionLimits.Default"/>):
    /// finish the ZeroMQ handshake within 30 s, and take what waits for it at 240 bytes/s or more. See
    /// docs/architecture.md, "Hostile peers".
    /// </summary>
    public ConnectionLimits ConnectionLimits { get; init; } = new(); // an instance of its own: configuration binds into it
}

/// <summary>Settings of one job (<see cref="ZeroBridgeTaskProducer.RunAsync(string, IEnumerable{TaskArguments}, TaskRunOptions?, CancellationToken)"/>).</summary>
public sealed record TaskRunOptions
{
    /// <summary>The options with every default.</summary>
    public static TaskRunOptions Default { get; } = new();

    /// <summary>How long the whole job may take before <see cref="ZeroBridgeTimeoutException"/> (default: null, no limit).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Told after every result (on the caller's thread, before the result is yielded) (default: null).</summary>
    public IProgress<TaskProgress>? Progress { get; init; }

    /// <summary>
    /// How many items go in one task message (default: 1), as <c>chunksize</c> in Python's <c>multiprocessing.Pool.map</c>:
    /// above 1, the items are sent in batches that a worker runs item by item (docs/protocol.md §12.5). Each item still
    /// yields its own <see cref="TaskResult"/> (its error included), but a batch goes to one worker, comes back whole and
    /// is re-sent whole when its worker is lost. Worth it for tasks of well under a millisecond. Workers of this library
    /// from this version on understand batches; older ones fail every item with <c>bad_request</c>.
    /// </summary>
    public int ChunkSize { get; init; } = 1;
}
