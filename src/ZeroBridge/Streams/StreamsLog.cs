using Microsoft.Extensions.Logging;
using ZeroBridge.Security;

namespace ZeroBridge.Streams;

/// <summary>
/// Log entries of stream publishers (event ids 4000-4099) and subscribers (4100-4199), source-generated so a disabled level costs no formatting.
/// docs/hosting.md lists every event id ZeroBridge logs.
/// </summary>
internal static partial class StreamsLog
{
    [LoggerMessage(EventId = 4000, EventName = "PublisherStarted", Level = LogLevel.Information,
        Message = "ZeroBridge publisher {Name} on {Endpoint} (snapshots: {Snapshots}; {Security})")]
    public static partial void PublisherStarted(ILogger logger, string name, string endpoint, string snapshots, string security);

    [LoggerMessage(EventId = 4001, EventName = "PayloadEncryptionOff", Level = LogLevel.Warning,
        Message = "ZeroBridge publisher {Name}: payload encryption is off although there is an allow-list ({AllowList}): every peer that completes the CURVE handshake reads every value; the allow-list only governs the snapshot socket's proofs")]
    public static partial void PayloadEncryptionOff(ILogger logger, string name, AllowList allowList);

    [LoggerMessage(EventId = 4002, EventName = "PayloadsEncrypted", Level = LogLevel.Information,
        Message = "ZeroBridge publisher {Name}: values encrypted per topic, keys only for keys on the allow-list {AllowList}")]
    public static partial void PayloadsEncrypted(ILogger logger, string name, AllowList allowList);

    [LoggerMessage(EventId = 4003, EventName = "PublisherStopped", Level = LogLevel.Information,
        Message = "ZeroBridge publisher on {Endpoint} stopped")]
    public static partial void PublisherStopped(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 4004, EventName = "TopicKeysRenewed", Level = LogLevel.Warning,
        Message = "ZeroBridge publisher {Name}: a key left the allow-list {AllowList} or its permissions changed; {Count} topic key(s) renewed")]
    public static partial void TopicKeysRenewed(ILogger logger, string name, AllowList? allowList, int count);

    [LoggerMessage(EventId = 4005, EventName = "SnapshotRequestRefused", Level = LogLevel.Debug,
        Message = "A snapshot request was refused")]
    public static partial void SnapshotRequestRefused(ILogger logger, Exception fault);

    [LoggerMessage(EventId = 4006, EventName = "SnapshotCutShort", Level = LogLevel.Debug,
        Message = "A snapshot was cut short: the subscriber is not reading")]
    public static partial void SnapshotCutShort(ILogger logger);

    [LoggerMessage(EventId = 4007, EventName = "TopicKeysRefused", Level = LogLevel.Warning,
        Message = "Topic keys refused to snapshot peer {Connection} (key {Key}): {Topics}")]
    public static partial void TopicKeysRefused(ILogger logger, string connection, string key, string topics);

    [LoggerMessage(EventId = 4100, EventName = "UndecodableStreamMessage", Level = LogLevel.Warning,
        Message = "An undecodable {What} message was ignored: {Message}")]
    public static partial void UndecodableStreamMessage(ILogger logger, string what, string message);

    [LoggerMessage(EventId = 4101, EventName = "StreamMessageMisframed", Level = LogLevel.Warning,
        Message = "A stream message with {Count} frame(s) was ignored")]
    public static partial void StreamMessageMisframed(ILogger logger, int count);

    [LoggerMessage(EventId = 4102, EventName = "ValueUndecodable", Level = LogLevel.Warning,
        Message = "A value on {Topic} (#{Sequence}) could not be decoded: {Message}")]
    public static partial void ValueUndecodable(ILogger logger, string topic, long sequence, string message);

    [LoggerMessage(EventId = 4103, EventName = "StreamEvent", Level = LogLevel.Warning,
        Message = "{Event}")]
    public static partial void StreamEvent(ILogger logger, string @event);

    [LoggerMessage(EventId = 4104, EventName = "StreamEventHandlerFailed", Level = LogLevel.Error,
        Message = "A stream event handler threw")]
    public static partial void StreamEventHandlerFailed(ILogger logger, Exception fault);

    [LoggerMessage(EventId = 4110, EventName = "UndecodableProofReply", Level = LogLevel.Warning,
        Message = "An undecodable proof reply was ignored: {Message}")]
    public static partial void UndecodableProofReply(ILogger logger, string message);

    [LoggerMessage(EventId = 4111, EventName = "UndecodableTopicKeyReply", Level = LogLevel.Warning,
        Message = "An undecodable topic-key reply was ignored: {Message}")]
    public static partial void UndecodableTopicKeyReply(ILogger logger, string message);

    [LoggerMessage(EventId = 4112, EventName = "SubscriberKeyRefused", Level = LogLevel.Error,
        Message = "The publisher refused this subscriber's key {Key}: {Message}")]
    public static partial void SubscriberKeyRefused(ILogger logger, string key, string? message);

    [LoggerMessage(EventId = 4113, EventName = "EncryptedValueDropped", Level = LogLevel.Warning,
        Message = "An encrypted value on {Topic} was dropped: {Reason}")]
    public static partial void EncryptedValueDropped(ILogger logger, string topic, string reason);
}
