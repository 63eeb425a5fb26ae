using ZeroBridge.Security;

namespace ZeroBridge.Streams;

/// <summary>Settings of a <see cref="ZeroBridgeSubscriber"/>. Immutable; change with <c>with</c>.</summary>
public sealed record ZeroBridgeSubscriberOptions
{
    /// <summary>The options with every default.</summary>
    public static ZeroBridgeSubscriberOptions Default { get; } = new();

    /// <summary>
    /// The publisher's snapshot endpoint (default: null). When set, <see cref="ZeroBridgeSubscriber.StartAsync"/>
    /// first delivers the last value of every subscribed topic, then the live stream with no gap and no duplicate.
    /// </summary>
    public string? SnapshotEndpoint { get; init; }

    /// <summary>
    /// Keep only the newest unread value of each topic (default: false). Values replaced before they were read are
    /// counted in <see cref="StreamStatistics.Conflated"/>, not reported as gaps.
    /// </summary>
    public bool Conflate { get; init; }

    /// <summary>
    /// How long without any message, heartbeats included, before the publisher counts as silent (default: null,
    /// meaning three of the publisher's advertised heartbeat intervals, or 3 s before anything was heard).
    /// </summary>
    public TimeSpan? SilenceTimeout { get; init; }

    /// <summary>Messages the socket queues before ZeroMQ drops (default: 1000); drops show up as gaps.</summary>
    public int ReceiveHighWatermark { get; init; } = 1000;

    /// <summary>Values decoded but not yet read that the subscriber keeps (default: 100000); beyond, they are dropped and reported as overflow.</summary>
    public int BufferCapacity { get; init; } = 100_000;

    /// <summary>
    /// Whether <see cref="ZeroBridgeSubscriber.StartAsync"/> waits until the publisher is heard (default: true), so
    /// that everything published from then on arrives. False returns at once, connected and subscribed, for a
    /// publisher that may start later (ZeroMQ reconnects); not with a <see cref="SnapshotEndpoint"/>.
    /// </summary>
    public bool WaitForPublisher { get; init; } = true;

    /// <summary>How long <see cref="ZeroBridgeSubscriber.StartAsync"/> waits for the publisher and the snapshot (default: 10 s).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest message accepted (default: 256 MiB); a larger one closes the connection.</summary>
    public long MaxMessageBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Called for every gap, restart, silence and overflow (default: null; they are logged as warnings either way).
    /// Runs on the subscriber's socket thread: keep it short.
    /// </summary>
    public Action<StreamEvent>? OnEvent { get; init; }

    /// <summary>
    /// The publisher's CURVE public key, Z85 (default: null, plain text). When set, the subscriber speaks only
    /// CurveZMQ, on the stream and the snapshot endpoint, and only to the holder of this key. Read it from the
    /// publisher's <c>NAME.key</c> with <see cref="ZeroBridgeCertificate.Load"/>.
    /// </summary>
    public string? ServerKey { get; init; }

    /// <summary>
    /// The subscriber's own CURVE key pair, used with <see cref="ServerKey"/> (default: null, a fresh throwaway pair).
    /// With its secret key the subscriber proves it on the snapshot endpoint before asking for topic keys, so a publisher
    /// with an allow-list hands out the keys its <c>topics</c> permit (docs/protocol.md §11.6).
    /// </summary>
    public ZeroBridgeCertificate? Certificate { get; init; }
}
