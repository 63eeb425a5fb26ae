using Microsoft.Extensions.Logging;

namespace ZeroBridge.Server;

/// <summary>
/// The command server's log entries (event ids 2000-2099), source-generated so a disabled level costs no formatting.
/// docs/hosting.md lists every event id ZeroBridge logs.
/// </summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 2000, EventName = "ServerListening", Level = LogLevel.Information,
        Message = "ZeroBridge server listening on {Endpoint} ({Security})")]
    public static partial void Listening(ILogger logger, string endpoint, string security);

    [LoggerMessage(EventId = 2001, EventName = "ServerStopped", Level = LogLevel.Information,
        Message = "ZeroBridge server on {Endpoint} stopped")]
    public static partial void Stopped(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 2002, EventName = "ServerFault", Level = LogLevel.Error,
        Message = "Unexpected fault serving a request from {Peer}")]
    public static partial void Fault(ILogger logger, Exception fault, string peer);

    [LoggerMessage(EventId = 2003, EventName = "PeerLeftDuringRequest", Level = LogLevel.Debug,
        Message = "Peer {Peer} disconnected; cancelling its request")]
    public static partial void PeerLeftDuringRequest(ILogger logger, string peer);

    [LoggerMessage(EventId = 2004, EventName = "ReplyDroppedQueueFull", Level = LogLevel.Warning,
        Message = "A reply was dropped: the client is not reading (its queue is full)")]
    public static partial void ReplyDroppedQueueFull(ILogger logger);

    [LoggerMessage(EventId = 2005, EventName = "ReplyDroppedPeerLeft", Level = LogLevel.Debug,
        Message = "A client left before its reply was ready; the reply is dropped")]
    public static partial void ReplyDroppedPeerLeft(ILogger logger);

    [LoggerMessage(EventId = 2010, EventName = "JsonResultUnwritable", Level = LogLevel.Warning,
        Message = "The result of {Command} cannot be written as JSON")]
    public static partial void JsonResultUnwritable(ILogger logger, Exception fault, string command);
}
