using ZeroBridge.Security;

namespace ZeroBridge.Majordomo;

/// <summary>Settings of a <see cref="ZeroBridgeWorker"/>. Immutable; change with <c>with</c>.</summary>
public sealed record ZeroBridgeWorkerOptions
{
    /// <summary>The options with every default.</summary>
    public static ZeroBridgeWorkerOptions Default { get; } = new();

    /// <summary>
    /// How many requests this worker runs at once (default: 1). MDP gives a worker one request at a time, so the
    /// worker opens this many connections to the broker, each registered for the service.
    /// </summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>How often a HEARTBEAT goes to the broker, and is expected from it (default: 2.5 s; MUST match the broker's).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(2500);

    /// <summary>How many intervals the broker may stay silent before the worker reconnects (default: 3).</summary>
    public int HeartbeatLiveness { get; init; } = 3;

    /// <summary>The first wait before reconnecting to a silent broker; it doubles up to <see cref="MaxReconnectDelay"/> (default: 250 ms).</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait between reconnection attempts (default: 4 s).</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Whether error replies carry the remote stack trace (default: true).</summary>
    public bool IncludeStackTraces { get; init; } = true;

    /// <summary>How long stopping waits for running commands before cancelling them (default: 5 s).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest single frame accepted from the broker (default: 1 GiB).</summary>
    public long MaxFrameBytes { get; init; } = 1L << 30;

    /// <summary>
    /// The broker's CURVE public key, Z85 (default: null, plain text). When set, the worker speaks only CurveZMQ and
    /// only to the holder of this key. Read it from the broker's <c>NAME.key</c> with <see cref="ZeroBridgeCertificate.Load"/>.
    /// </summary>
    public string? ServerKey { get; init; }

    /// <summary>
    /// The worker's own CURVE key pair, used with <see cref="ServerKey"/> (default: null, a fresh throwaway pair). Given
    /// one, the worker proves its key to the broker (<c>auth.hello</c>, <c>auth.prove</c>) before READY, as a broker
    /// with an allow-list requires; the key's <c>services</c> must permit <see cref="ZeroBridgeWorker.Service"/>.
    /// </summary>
    public ZeroBridgeCertificate? Certificate { get; init; }

    /// <summary>
    /// Where the permissions of the callers a broker stamps on requests come from (default: null: every caller may
    /// run every command). With it, a caller whose key is not on the list may run only the built-ins, and the others
    /// only what their <c>commands</c> permit, exactly as on a direct server (docs/security.md, "Broker"); a request
    /// with no caller stamped on it (a broker without an allow-list) may run only the built-ins too.
    /// </summary>
    public AllowList? AllowList { get; init; }
}
