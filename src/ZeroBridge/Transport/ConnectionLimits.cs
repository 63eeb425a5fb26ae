namespace ZeroBridge.Transport;

/// <summary>
/// What a component that binds demands of every TCP connection it accepts, so a peer that never speaks ZeroMQ, or
/// stops reading what it asked for, cannot hold the component's sockets and memory forever (docs/architecture.md,
/// "Hostile peers"). Immutable; change with <c>with</c>.
/// </summary>
/// <remarks>
/// <para>The two limits are libzmq's handshake interval (<c>ZMQ_HANDSHAKE_IVL</c>, which NetMQ lacks) and ASP.NET
/// Core Kestrel's minimum response data rate, applied to ZeroMQ connections. Both are judged from the kernel's own
/// counters for the connection (Linux <c>TCP_INFO</c>), which a peer cannot forge: a reply counts as read only when
/// the peer's TCP stack has acknowledged it, and it acknowledges only what its application frees room for.</para>
/// <para>A connection that breaks a limit is shut down; ZeroMQ then drops it as it drops any connection the peer
/// reset, with the replies queued for it. A ZeroMQ peer reconnects by itself. On systems other than Linux the limits
/// are not enforced (the component logs this once when it starts).</para>
/// </remarks>
public sealed record ConnectionLimits
{
    /// <summary>The limits with every default.</summary>
    public static ConnectionLimits Default { get; } = new();

    /// <summary>The limits turned off: connections are held as long as their peers keep them open.</summary>
    public static ConnectionLimits None { get; } = new()
    {
        HandshakeTimeout = Timeout.InfiniteTimeSpan,
        MinimumReadBytesPerSecond = 0,
    };

    /// <summary>
    /// How long a new connection has to send at least as many bytes as the smallest whole ZeroMQ handshake (the
    /// greeting and READY; with CURVE, the greeting, HELLO and INITIATE) before it is closed (default: 30 s, libzmq's
    /// own <c>ZMQ_HANDSHAKE_IVL</c>). Bytes are counted, not parsed: NetMQ does not report the handshake's end.
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns the limit off.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The slowest rate, in bytes per second, at which a peer must take what the component sends it whenever data is
    /// held back for it, not yet sent because its receive window is full (default: 240, Kestrel's minimum response
    /// data rate). A peer below it for a whole
    /// <see cref="ReadGracePeriod"/> is closed, with the replies queued for it. 0 turns the limit off.
    /// </summary>
    public double MinimumReadBytesPerSecond { get; init; } = 240;

    /// <summary>
    /// How long a peer may read more slowly than <see cref="MinimumReadBytesPerSecond"/>, or not at all, while data
    /// waits for it before it is closed (default: 10 s; Kestrel allows 5).
    /// </summary>
    public TimeSpan ReadGracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Each limit out of its range, as (the property's name, what it must be, what it is): the one statement of the
    /// ranges, for the components' constructors and the host's start-up checks alike.
    /// </summary>
    internal IEnumerable<(string Key, string Rule, object Value)> Problems()
    {
        if (HandshakeTimeout <= TimeSpan.Zero && LimitsHandshake)
            yield return (nameof(HandshakeTimeout), "a positive time span such as 00:00:30, or -00:00:00.001 (infinite) to turn it off", HandshakeTimeout);
        if (!(MinimumReadBytesPerSecond >= 0) || double.IsInfinity(MinimumReadBytesPerSecond))
            yield return (nameof(MinimumReadBytesPerSecond), "0 (off) or a positive number of bytes", MinimumReadBytesPerSecond);
        if (ReadGracePeriod <= TimeSpan.Zero)
            yield return (nameof(ReadGracePeriod), "a positive time span such as 00:00:10", ReadGracePeriod);
    }

    /// <summary>Throws when a limit is out of its range; each component checks its limits as it is constructed.</summary>
    /// <exception cref="ArgumentException">A limit is out of range.</exception>
    internal void ThrowIfInvalid(string parameterName)
    {
        var (key, rule, value) = Problems().FirstOrDefault();
        if (key is not null)
            throw new ArgumentException($"ConnectionLimits.{key} must be {rule} (it is {value}).", parameterName);
    }

    internal bool LimitsHandshake => HandshakeTimeout != Timeout.InfiniteTimeSpan;

    internal bool LimitsReading => MinimumReadBytesPerSecond > 0;

    /// <summary>
    /// How often the connections are checked: a quarter of the shorter limit, so a connection is closed within 25%
    /// past its limit, and at least once a second.
    /// </summary>
    internal TimeSpan CheckInterval
    {
        get
        {
            var shortest = TimeSpan.FromSeconds(1) * 4;
            if (LimitsHandshake && HandshakeTimeout < shortest)
                shortest = HandshakeTimeout;
            if (LimitsReading && ReadGracePeriod < shortest)
                shortest = ReadGracePeriod;
            return TimeSpan.FromTicks(Math.Max(shortest.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks));
        }
    }
}
