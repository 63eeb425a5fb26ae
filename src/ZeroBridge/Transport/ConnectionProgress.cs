namespace ZeroBridge.Transport;

/// <summary>
/// One accepted connection's progress against its <see cref="ConnectionLimits"/>, judged from successive readings
/// of its kernel counters. Socket-free, so the rules are tested on their own.
/// </summary>
/// <param name="openedAtMs">When the connection was accepted (<see cref="Environment.TickCount64"/>).</param>
internal sealed class ConnectionProgress(long openedAtMs)
{
    /// <summary>The fixed greeting every ZMTP 3 peer sends first (RFC 23).</summary>
    private const int GreetingBytes = 64;

    /// <summary>
    /// The fewest bytes a peer sends in a whole NULL-mechanism handshake: the greeting and a READY command
    /// (a short frame of 2 bytes around "\x05READY" and the Socket-Type property, 1 + 11 + 4 bytes and a type name of
    /// at least 3: REQ, REP, PUB, SUB).
    /// </summary>
    public const int NullHandshakeBytes = GreetingBytes + 2 + 6 + 16 + 3;

    /// <summary>
    /// The fewest bytes a client sends in a whole CURVE handshake (RFC 26): the greeting; HELLO (200 bytes in a short
    /// frame); INITIATE with no metadata at all (cookie 96, nonce 8, box of 16 + 32 + 16 + 80, after "\x08INITIATE":
    /// 257 bytes, so a long frame with a 9-byte head).
    /// </summary>
    public const int CurveHandshakeBytes = GreetingBytes + (2 + 200) + (9 + 257);

    private bool _handshakeDone;
    private long _waitingSinceMs = -1; // when data began to wait for the peer, -1 while none waits
    private long _acknowledgedThen;    // the peer's acknowledged bytes at that moment

    /// <summary>
    /// Judges the connection from a new reading <paramref name="info"/> taken at <paramref name="nowMs"/>, against
    /// <paramref name="limits"/>; <paramref name="handshakeBytes"/> is the least a whole handshake sends
    /// (<see cref="NullHandshakeBytes"/> or <see cref="CurveHandshakeBytes"/>).
    /// </summary>
    public ConnectionVerdict Judge(TcpConnectionInfo info, long nowMs, ConnectionLimits limits, int handshakeBytes)
    {
        if (!_handshakeDone)
        {
            if (info.BytesReceived >= handshakeBytes)
                _handshakeDone = true; // past the handshake, never judged on it again
            else if (limits.LimitsHandshake && nowMs - openedAtMs >= (long)limits.HandshakeTimeout.TotalMilliseconds)
                return ConnectionVerdict.HandshakeTimedOut;
        }

        if (!limits.LimitsReading || !info.BytesWaiting)
        {
            _waitingSinceMs = -1; // nothing waits for the peer: it has read everything it was sent
            return ConnectionVerdict.Keep;
        }
        if (_waitingSinceMs < 0)
        {
            _waitingSinceMs = nowMs;
            _acknowledgedThen = info.BytesAcknowledged;
            return ConnectionVerdict.Keep;
        }
        long waitedMs = nowMs - _waitingSinceMs;
        if (waitedMs < (long)limits.ReadGracePeriod.TotalMilliseconds)
            return ConnectionVerdict.Keep;
        // A whole grace period with data waiting: the peer must have taken at least the minimum rate's worth of it.
        double taken = info.BytesAcknowledged - _acknowledgedThen;
        if (taken < limits.MinimumReadBytesPerSecond * waitedMs / 1000.0)
            return ConnectionVerdict.NotReading;
        _waitingSinceMs = nowMs; // judged again over the next period
        _acknowledgedThen = info.BytesAcknowledged;
        return ConnectionVerdict.Keep;
    }
}
