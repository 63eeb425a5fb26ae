using Microsoft.Extensions.Logging;

namespace ZeroBridge.Transport;

/// <summary>
/// The transport layer's log entries (event ids 1000-1099), source-generated so a disabled level costs no formatting.
/// docs/hosting.md lists every event id ZeroBridge logs.
/// </summary>
internal static partial class TransportLog
{
    [LoggerMessage(EventId = 1000, EventName = "ReceiveFault", Level = LogLevel.Error,
        Message = "{Component}: a received message could not be handled and was dropped ({Unlogged} more since the last such entry)")]
    public static partial void ReceiveFault(ILogger logger, Exception fault, string component, long unlogged);

    [LoggerMessage(EventId = 1001, EventName = "ThreadPoolMinimumRaised", Level = LogLevel.Information,
        Message = "Raised the thread pool's minimum worker threads from {Before} to {After} so commands that block cannot starve socket I/O (AppContext switch {Switch} turns this off)")]
    public static partial void ThreadPoolMinimumRaised(ILogger logger, int before, int after, string @switch);

    [LoggerMessage(EventId = 1010, EventName = "ConnectionAccepted", Level = LogLevel.Information,
        Message = "{Component}: connection from {PeerAddress} accepted ({Open} open)")]
    public static partial void ConnectionAccepted(ILogger logger, string component, string peerAddress, int open);

    [LoggerMessage(EventId = 1011, EventName = "ConnectionClosed", Level = LogLevel.Information,
        Message = "{Component}: connection from {PeerAddress} closed after {DurationSeconds:0.0} s ({Open} open)")]
    public static partial void ConnectionClosed(ILogger logger, string component, string peerAddress, double durationSeconds, int open);

    [LoggerMessage(EventId = 1012, EventName = "AcceptFailed", Level = LogLevel.Warning,
        Message = "{Component}: accepting a connection on {Endpoint} failed: {Error}")]
    public static partial void AcceptFailed(ILogger logger, string component, string endpoint, NetMQ.ErrorCode error);

    [LoggerMessage(EventId = 1013, EventName = "HandshakeTimedOut", Level = LogLevel.Warning,
        Message = "{Component}: closed the connection from {PeerAddress}: no whole ZeroMQ handshake within {LimitSeconds:0.###} s ({BytesReceived} bytes received); ConnectionLimits.HandshakeTimeout")]
    public static partial void HandshakeTimedOut(ILogger logger, string component, string peerAddress, double limitSeconds, long bytesReceived);

    [LoggerMessage(EventId = 1014, EventName = "PeerNotReading", Level = LogLevel.Warning,
        Message = "{Component}: closed the connection from {PeerAddress}, and dropped what waited for it: it read less than {MinimumBytesPerSecond} bytes/s for {GraceSeconds:0.###} s while data waited; ConnectionLimits.MinimumReadBytesPerSecond")]
    public static partial void PeerNotReading(ILogger logger, string component, string peerAddress, double graceSeconds, double minimumBytesPerSecond);

    [LoggerMessage(EventId = 1015, EventName = "ConnectionLimitsUnavailable", Level = LogLevel.Warning,
        Message = "{Component}: ConnectionLimits are not enforced on this system (they read Linux's TCP_INFO): a peer that never completes the ZeroMQ handshake, or never reads, holds its connection until it closes it")]
    public static partial void ConnectionLimitsUnavailable(ILogger logger, string component);
}
