namespace ZeroBridge.Transport;

/// <summary>What <see cref="ConnectionProgress.Judge"/> decides for a connection.</summary>
internal enum ConnectionVerdict
{
    /// <summary>The connection keeps within its limits.</summary>
    Keep,

    /// <summary>The peer has not sent a whole ZeroMQ handshake within <see cref="ConnectionLimits.HandshakeTimeout"/>.</summary>
    HandshakeTimedOut,

    /// <summary>
    /// Data has waited for the peer for a whole <see cref="ConnectionLimits.ReadGracePeriod"/>, in which it took less
    /// than <see cref="ConnectionLimits.MinimumReadBytesPerSecond"/>.
    /// </summary>
    NotReading,
}
