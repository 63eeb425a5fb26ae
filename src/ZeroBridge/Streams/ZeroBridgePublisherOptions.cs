using ZeroBridge.Security;
using ZeroBridge.Transport;

namespace ZeroBridge.Streams;

/// <summary>Settings of a <see cref="ZeroBridgePublisher"/>. Immutable; change with <c>with</c>.</summary>
public sealed record ZeroBridgePublisherOptions
{
    /// <summary>The options with every default.</summary>
    public static ZeroBridgePublisherOptions Default { get; } = new();

    /// <summary>The endpoint the stream is published on (default: <c>tcp://127.0.0.1:5556</c>). Port <c>*</c> picks a free one.</summary>
    public string Endpoint { get; init; } = "tcp://127.0.0.1:5556";

    /// <summary>
    /// The endpoint of the snapshot service for late joiners (default: null, no snapshots). Setting it also keeps
    /// the last value of every topic (the last-value cache).
    /// </summary>
    public string? SnapshotEndpoint { get; init; }

    /// <summary>
    /// The publisher's name, carried in every message and stable across restarts (default: null, meaning
    /// <c>process@endpoint</c> as bound). Subscribers detect a restart as a new epoch under the same name.
    /// </summary>
    public string? Name { get; init; }

    /// <summary>How often a heartbeat goes out, whatever else is published (default: 1 s).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Messages queued per subscriber before the publisher drops that subscriber's messages (default: 1000, the
    /// ZeroMQ default). A publisher never blocks on a slow subscriber; the subscriber sees the drops as gaps.
    /// </summary>
    public int SendHighWatermark { get; init; } = 1000;

    /// <summary>The largest snapshot request accepted (default: 64 KiB); the snapshot socket faces untrusted peers.</summary>
    public long MaxSnapshotRequestBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Snapshot messages queued per subscriber that has not read them (default: 100,000; keep it above the number of
    /// topics). A snapshot that does not fit is cut short and its end message never sent, so that subscriber's wait
    /// for it times out; a peer that sends snapshot requests and never reads the answers holds at most this many messages.
    /// </summary>
    public int SnapshotSendHighWatermark { get; init; } = 100_000;

    /// <summary>
    /// The publisher's CURVE key pair (default: null, plain text). When set, the stream and the snapshot endpoint speak
    /// only CurveZMQ, and subscribers must be given its public key (<see cref="ZeroBridgeCertificate.PublicKey"/>).
    /// Load it with <see cref="ZeroBridgeCertificate.Load"/> from a <c>NAME.key_secret</c> file. See docs/security.md.
    /// </summary>
    public ZeroBridgeCertificate? Certificate { get; init; }

    /// <summary>
    /// Whether the publisher may publish in plain text on an endpoint other machines can reach (default: false: it
    /// refuses to start there without a <see cref="Certificate"/>). Only for networks where every host is trusted.
    /// </summary>
    public bool Insecure { get; init; }

    /// <summary>
    /// Whether values are encrypted per topic (default: null, automatic: on with an <see cref="AllowList"/>, off
    /// without one). A CURVE publisher cannot refuse a subscriber that completes the handshake, so with encryption every
    /// value is sealed with its topic's key (libsodium secretbox) and the keys are handed out on the snapshot endpoint,
    /// to the peers <see cref="TopicKeyPolicy"/> allows: others see topic names and sequence numbers, never data. Needs
    /// <see cref="Certificate"/> and <see cref="SnapshotEndpoint"/>. <c>false</c> with an allow-list turns it off (the
    /// publisher logs a warning: every CURVE peer then reads every value). See docs/security.md, "Streams", and
    /// docs/protocol.md §11.6.
    /// </summary>
    public bool? EncryptPayloads { get; init; }

    /// <summary>Whether values are encrypted: <see cref="EncryptPayloads"/>, or, when it is null, whether there is an <see cref="AllowList"/>.</summary>
    public bool EncryptsPayloads => EncryptPayloads ?? AllowList is not null;

    /// <summary>
    /// Who may have a topic's key when <see cref="EncryptPayloads"/> is set (default: null, meaning: with an
    /// <see cref="AllowList"/>, a snapshot connection that proved an allow-listed key whose <c>topics</c> permit the
    /// topic; without one, <see cref="AnyCurvePeerPolicy"/>: any peer that pinned the publisher's key).
    /// </summary>
    public ITopicKeyPolicy? TopicKeyPolicy { get; init; }

    /// <summary>
    /// The client keys that may read encrypted topics (default: null, no proof asked). When set, the snapshot endpoint
    /// answers <c>auth.hello</c> and <c>auth.prove</c> (docs/protocol.md §15) and, unless <see cref="TopicKeyPolicy"/>
    /// says otherwise, a topic's key goes only to a connection that proved a key whose <c>topics</c> permit it.
    /// Snapshot requests themselves need no proof: with <see cref="EncryptPayloads"/> their values are sealed with the
    /// same keys. Needs <see cref="Certificate"/> and <see cref="SnapshotEndpoint"/>. See docs/security.md, "Streams".
    /// </summary>
    public AllowList? AllowList { get; init; }

    /// <summary>
    /// What every connection of subscribers (on both the stream and the snapshot endpoint) must do to stay open (default: <see cref="Transport.ConnectionLimits.Default"/>):
    /// finish the ZeroMQ handshake within 30 s, and take what waits for it at 240 bytes/s or more. See
    /// docs/architecture.md, "Hostile peers".
    /// </summary>
    public ConnectionLimits ConnectionLimits { get; init; } = new(); // an instance of its own: configuration binds into it
}
