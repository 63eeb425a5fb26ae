using ZeroBridge.Security;
using ZeroBridge.Transport;

namespace ZeroBridge.Majordomo;

/// <summary>Settings of a <see cref="ZeroBridgeBroker"/>. Immutable; change with <c>with</c>.</summary>
public sealed record ZeroBridgeBrokerOptions
{
    /// <summary>The options with every default.</summary>
    public static ZeroBridgeBrokerOptions Default { get; } = new();

    /// <summary>The endpoint clients and workers connect to; port <c>*</c> picks a free one (default: <c>tcp://127.0.0.1:5555</c>).</summary>
    public string Endpoint { get; init; } = "tcp://127.0.0.1:5555";

    /// <summary>
    /// How often the broker sends HEARTBEAT to each worker, and expects one back (default: 2.5 s, the value of the
    /// Majordomo reference implementation). Workers MUST use the same interval.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(2500);

    /// <summary>How many intervals a worker may stay silent before it is declared dead (default: 3).</summary>
    public int HeartbeatLiveness { get; init; } = 3;

    /// <summary>
    /// How long a request waits for a worker of its service before it is answered <c>service_unavailable</c>
    /// (default: 10 s). A request whose header has a <c>timeout</c> waits at most half of it, so the error reaches
    /// the client before the client gives up.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many times a request for an idempotent command is sent to another worker after its worker was lost
    /// (default: 2). Other commands are never re-sent: their caller gets <c>worker_lost</c>.
    /// </summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>How many requests may wait per service; more are answered <c>service_unavailable</c> at once (default: 10 000).</summary>
    public int MaxQueuedPerService { get; init; } = 10_000;

    /// <summary>The largest single frame accepted; a peer sending more is disconnected by the transport (default: 1 GiB).</summary>
    public long MaxFrameBytes { get; init; } = 1L << 30;

    /// <summary>The dead worker's allowed silence: <see cref="HeartbeatInterval"/> × <see cref="HeartbeatLiveness"/>.</summary>
    public TimeSpan WorkerExpiry => HeartbeatInterval * HeartbeatLiveness;

    /// <summary>
    /// The broker's CURVE key pair (default: null, plain text). When set, clients and workers must be given its public
    /// key, and the broker speaks only CurveZMQ. See docs/security.md.
    /// </summary>
    public ZeroBridgeCertificate? Certificate { get; init; }

    /// <summary>
    /// The client and worker keys the broker serves, and what each may do (default: null, anyone). With an allow-list
    /// every connection must first prove an allowed key (<c>auth.hello</c>, <c>auth.prove</c>): clients only reach the
    /// services their key's <c>services</c> permit, workers may only send READY for those, and each request goes to its
    /// worker with the client's identity stamped on it (docs/protocol.md §9.3). Needs <see cref="Certificate"/>.
    /// </summary>
    public AllowList? AllowList { get; init; }

    /// <summary>
    /// Whether the broker may run in plain text on an endpoint other machines can reach (default: false: it refuses
    /// to start there without a <see cref="Certificate"/>). Only for networks where every host is trusted.
    /// </summary>
    public bool Insecure { get; init; }

    /// <summary>
    /// What every connection of clients and workers must do to stay open (default: <see cref="Transport.ConnectionLimits.Default"/>):
    /// finish the ZeroMQ handshake within 30 s, and take what waits for it at 240 bytes/s or more. See
    /// docs/architecture.md, "Hostile peers".
    /// </summary>
    public ConnectionLimits ConnectionLimits { get; init; } = new(); // an instance of its own: configuration binds into it
}
