using Microsoft.Extensions.Logging;

namespace ZeroBridge.Majordomo;

/// <summary>
/// Log entries of the Majordomo broker (event ids 3000-3099) and its workers (3100-3199), source-generated so a disabled level costs no formatting.
/// docs/hosting.md lists every event id ZeroBridge logs.
/// </summary>
internal static partial class MajordomoLog
{
    [LoggerMessage(EventId = 3000, EventName = "BrokerWorkerKeyChanged", Level = LogLevel.Warning,
        Message = "Broker: worker {Worker} of '{Service}' ({Why}): disconnected")]
    public static partial void BrokerWorkerKeyChanged(ILogger logger, string worker, string service, string why);

    [LoggerMessage(EventId = 3001, EventName = "BrokerListening", Level = LogLevel.Information,
        Message = "ZeroBridge broker listening on {Endpoint} ({Security})")]
    public static partial void BrokerListening(ILogger logger, string endpoint, string security);

    [LoggerMessage(EventId = 3002, EventName = "BrokerDrainTimedOut", Level = LogLevel.Warning,
        Message = "The broker's last messages were not sent in time")]
    public static partial void BrokerDrainTimedOut(ILogger logger);

    [LoggerMessage(EventId = 3003, EventName = "BrokerStopped", Level = LogLevel.Information,
        Message = "ZeroBridge broker on {Endpoint} stopped")]
    public static partial void BrokerStopped(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 3004, EventName = "BrokerWorkerInvalidMessage", Level = LogLevel.Warning,
        Message = "Worker {Worker} of '{Service}' sent an invalid message and is dropped: {Reason}")]
    public static partial void BrokerWorkerInvalidMessage(ILogger logger, string worker, string service, string reason);

    [LoggerMessage(EventId = 3005, EventName = "BrokerInvalidMessage", Level = LogLevel.Debug,
        Message = "Invalid message from {Peer}: {Reason}")]
    public static partial void BrokerInvalidMessage(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 3006, EventName = "BrokerServiceRefused", Level = LogLevel.Information,
        Message = "Broker: {Caller} may not use service '{Service}'; refused")]
    public static partial void BrokerServiceRefused(ILogger logger, string caller, string service);

    [LoggerMessage(EventId = 3007, EventName = "BrokerWorkerRefused", Level = LogLevel.Warning,
        Message = "Broker: worker {Worker} ({Caller}) may not serve '{Service}': refused and disconnected")]
    public static partial void BrokerWorkerRefused(ILogger logger, string worker, string caller, string service);

    [LoggerMessage(EventId = 3008, EventName = "BrokerWorkerSaidDisconnect", Level = LogLevel.Information,
        Message = "Worker {Worker} of '{Service}' said DISCONNECT")]
    public static partial void BrokerWorkerSaidDisconnect(ILogger logger, string worker, string service);

    [LoggerMessage(EventId = 3009, EventName = "BrokerSendingDisconnect", Level = LogLevel.Information,
        Message = "Worker {Worker} {What}; sending DISCONNECT")]
    public static partial void BrokerSendingDisconnect(ILogger logger, string worker, string what);

    [LoggerMessage(EventId = 3010, EventName = "BrokerTimerFault", Level = LogLevel.Error,
        Message = "Unexpected fault in the broker's timer")]
    public static partial void BrokerTimerFault(ILogger logger, Exception fault);

    [LoggerMessage(EventId = 3011, EventName = "BrokerMessageDroppedQueueFull", Level = LogLevel.Warning,
        Message = "A message was dropped: its peer is not reading (its queue is full)")]
    public static partial void BrokerMessageDroppedQueueFull(ILogger logger);

    [LoggerMessage(EventId = 3012, EventName = "BrokerMessageDroppedPeerLeft", Level = LogLevel.Debug,
        Message = "A peer left before its message was sent; the message is dropped")]
    public static partial void BrokerMessageDroppedPeerLeft(ILogger logger);

    [LoggerMessage(EventId = 3020, EventName = "BrokerWorkerDisconnected", Level = LogLevel.Information,
        Message = "Worker {Worker} of '{Service}' disconnected")]
    public static partial void BrokerWorkerDisconnected(ILogger logger, string worker, string service);

    [LoggerMessage(EventId = 3021, EventName = "BrokerWorkerRegistered", Level = LogLevel.Information,
        Message = "Worker {Worker} registered for '{Service}' ({Count} now)")]
    public static partial void BrokerWorkerRegistered(ILogger logger, string worker, string service, int count);

    [LoggerMessage(EventId = 3022, EventName = "BrokerRequestRetried", Level = LogLevel.Warning,
        Message = "Worker {Worker} of '{Service}' {Why} while running '{Command}'; the command is idempotent, retry {Retry}")]
    public static partial void BrokerRequestRetried(ILogger logger, string worker, string service, string why, string? command, int retry);

    [LoggerMessage(EventId = 3023, EventName = "BrokerWorkerLost", Level = LogLevel.Warning,
        Message = "Worker {Worker} of '{Service}' {Why} while running {What}")]
    public static partial void BrokerWorkerLost(ILogger logger, string worker, string service, string why, string what);

    [LoggerMessage(EventId = 3024, EventName = "BrokerWorkerExpired", Level = LogLevel.Warning,
        Message = "Worker {Worker} of '{Service}' sent nothing for {Expiry}; removed")]
    public static partial void BrokerWorkerExpired(ILogger logger, string worker, string service, TimeSpan expiry);

    [LoggerMessage(EventId = 3100, EventName = "WorkerJoining", Level = LogLevel.Information,
        Message = "ZeroBridge worker for '{Service}' joining {Endpoint} ({Count} connection(s))")]
    public static partial void WorkerJoining(ILogger logger, string service, string endpoint, int count);

    [LoggerMessage(EventId = 3101, EventName = "WorkerLeft", Level = LogLevel.Information,
        Message = "ZeroBridge worker for '{Service}' left {Endpoint}")]
    public static partial void WorkerLeft(ILogger logger, string service, string endpoint);

    [LoggerMessage(EventId = 3102, EventName = "WorkerReconnecting", Level = LogLevel.Warning,
        Message = "Worker for '{Service}': {Why}; reconnecting to {Endpoint} in {Delay} ms")]
    public static partial void WorkerReconnecting(ILogger logger, string service, string why, string endpoint, int delay);

    [LoggerMessage(EventId = 3103, EventName = "IdempotentCommandsNotAccepted", Level = LogLevel.Warning,
        Message = "Worker for '{Service}': the broker did not accept the idempotent commands; they will not be retried")]
    public static partial void IdempotentCommandsNotAccepted(ILogger logger, string service);

    [LoggerMessage(EventId = 3104, EventName = "WorkerDroppedNonMdp", Level = LogLevel.Warning,
        Message = "Worker for '{Service}': dropped a message that is not MDP/Worker ({Frames} frames)")]
    public static partial void WorkerDroppedNonMdp(ILogger logger, string service, int frames);

    [LoggerMessage(EventId = 3105, EventName = "WorkerSecondRequest", Level = LogLevel.Warning,
        Message = "Worker for '{Service}': the broker sent a second request before the reply to the first")]
    public static partial void WorkerSecondRequest(ILogger logger, string service);

    [LoggerMessage(EventId = 3106, EventName = "WorkerDroppedMalformedCommand", Level = LogLevel.Warning,
        Message = "Worker for '{Service}': dropped an unexpected or malformed MDP command 0x{Command:x2}")]
    public static partial void WorkerDroppedMalformedCommand(ILogger logger, string service, byte command);

    [LoggerMessage(EventId = 3107, EventName = "WorkerKeyRefused", Level = LogLevel.Error,
        Message = "Worker for '{Service}': the broker refused this worker's key {Key}: {Message}")]
    public static partial void WorkerKeyRefused(ILogger logger, string service, string key, string? message);

    [LoggerMessage(EventId = 3108, EventName = "WorkerFault", Level = LogLevel.Error,
        Message = "Worker for '{Service}': unexpected fault serving a request")]
    public static partial void WorkerFault(ILogger logger, Exception fault, string service);

    [LoggerMessage(EventId = 3109, EventName = "WorkerReplyDropped", Level = LogLevel.Warning,
        Message = "Worker for '{Service}': a reply was dropped: its broker connection was replaced while the command ran")]
    public static partial void WorkerReplyDropped(ILogger logger, string service);
}
