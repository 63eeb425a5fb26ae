using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Protocol;
using ZeroBridge.Security;
using ZeroBridge.Serialization;
using ZeroBridge.Transport;

namespace ZeroBridge.Streams;

/// <summary>
/// Publishes values on topics to any number of subscribers (docs/protocol.md §11): every message carries its topic,
/// a per-topic sequence number, the publisher's name and start epoch, a timestamp and the value. Heartbeats go
/// out on idle streams; with a <see cref="ZeroBridgePublisherOptions.SnapshotEndpoint"/> late joiners fetch the
/// last value of every topic.
/// </summary>
/// <remarks>
/// <see cref="Publish"/> is thread-safe and never blocks on subscribers: it serializes on the caller's thread and
/// hands the frames to the socket thread (a background thread running a <see cref="NetMQPoller"/>), which owns the
/// XPUB socket and the snapshot ROUTER. A subscriber that does not keep up loses messages at the high-water mark
/// and sees them as gaps.
/// </remarks>
/// <example>
/// <code>
/// await using var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with { SnapshotEndpoint = "tcp://127.0.0.1:5557" });
/// await publisher.StartAsync();
/// publisher.Publish("prices.EURUSD", new { Bid = 1.0832m, Ask = 1.0834m });
/// </code>
/// </example>
public sealed class ZeroBridgePublisher : IZeroBridgeComponent
{
    private readonly ZeroBridgePublisherOptions _options;
    private readonly ILogger _logger;
    private readonly ReceiveFaults _receiveFaults;
    private readonly object _gate = new();
    private readonly Dictionary<string, long> _sequences = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LastValue> _lastValues = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TopicKey> _topicKeys = new(StringComparer.Ordinal); // EncryptsPayloads: made on first use
    private readonly SocketLoop _loop = new();
    private readonly NetMQQueue<NetMQMessage> _outgoing;
    private XPublisherSocket? _publisher;
    private RouterSocket? _snapshots;
    private readonly ConnectionAuthentication? _authentication; // with an AllowList: who proved which key on the snapshot socket
    private long _published;
    private int _state; // ComponentState

    /// <summary>Creates a publisher; call <see cref="StartAsync"/> to bind.</summary>
    public ZeroBridgePublisher(ZeroBridgePublisherOptions? options = null, ILogger<ZeroBridgePublisher>? logger = null)
    {
        _options = options ?? ZeroBridgePublisherOptions.Default;
        _options.ConnectionLimits.ThrowIfInvalid(nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _receiveFaults = new ReceiveFaults(_logger, "Publisher");
        if (_options is { AllowList: { } allowList, Certificate: { } certificate })
            _authentication = new ConnectionAuthentication(certificate, allowList, _logger, "Publisher");
        Epoch = StreamWire.UnixMicroseconds(DateTimeOffset.UtcNow);
        // Bounded per wake-up, so heartbeats and snapshot requests get their turn under a flood of publishing.
        _outgoing = _loop.Queue<NetMQMessage>(message => _publisher!.TrySendMultipartMessage(message), batch: 10_000); // PUB never blocks: at the high-water mark it drops
    }

    /// <summary>The endpoint the stream is bound to (the actual port when an ephemeral one was asked for).</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>The bound snapshot endpoint, or null without snapshots.</summary>
    public string? SnapshotEndpoint { get; private set; }

    /// <summary>The name in every message (set by <see cref="StartAsync"/> when the options leave it to the default).</summary>
    public string Name { get; private set; } = "";

    /// <summary>This run's start epoch: µs since 1970 UTC when the publisher was created.</summary>
    public long Epoch { get; }

    /// <summary>How many values were published.</summary>
    public long Published => Interlocked.Read(ref _published);

    private bool KeepsLastValues => _options.SnapshotEndpoint is not null;

    private ITopicKeyPolicy TopicKeyPolicy => _options.TopicKeyPolicy
        ?? (_authentication is null ? AnyCurvePeerPolicy.Instance : new ProvedTopicPermissionPolicy(_authentication));

    /// <summary>Binds the endpoints and starts the socket thread.</summary>
    /// <exception cref="InvalidOperationException">The publisher was already started or stopped.</exception>
    /// <exception cref="NetMQException">An endpoint cannot be bound.</exception>
    /// <exception cref="ZeroBridgeException">An endpoint is beyond loopback without CURVE (and not <see cref="ZeroBridgePublisherOptions.Insecure"/>).</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, ComponentState.Started, ComponentState.New) != ComponentState.New)
            throw new InvalidOperationException("A ZeroBridgePublisher starts once.");
        foreach (var listening in new[] { _options.Endpoint, _options.SnapshotEndpoint })
        {
            if (listening is not null && PlaintextExposure.Refusal("ZeroBridge publisher", listening, EndpointAddress.IsLocalOnly(listening),
                    _options.Certificate is not null, _options.Insecure) is { } exposure)
            {
                Volatile.Write(ref _state, ComponentState.New); // nothing started
                throw new ZeroBridgeException(exposure);
            }
        }
        if (_options.EncryptsPayloads && (_options.Certificate is null || _options.SnapshotEndpoint is null))
        {
            Volatile.Write(ref _state, ComponentState.New); // nothing started
            throw new ZeroBridgeException("EncryptPayloads needs a Certificate (the topic keys travel over CURVE) and a " +
                "SnapshotEndpoint (where subscribers ask for them).");
        }
        if (_options.AllowList is not null && (_options.Certificate is null || _options.SnapshotEndpoint is null))
        {
            Volatile.Write(ref _state, ComponentState.New); // nothing started
            throw new ZeroBridgeException("AllowList needs a Certificate (the proof is made for the publisher's key) and a " +
                "SnapshotEndpoint (where subscribers prove their key).");
        }
        var keyPair = _options.Certificate?.ToNetMQ();
        var publisher = new XPublisherSocket();
        publisher.UseCurveServer(keyPair);
        publisher.Options.Linger = TimeSpan.Zero;
        publisher.Options.SendHighWatermark = _options.SendHighWatermark;
        publisher.Options.XPubVerbose = true; // every subscription reaches us: a new subscriber gets a heartbeat at once
        publisher.Options.MaxMsgSize = 4096; // subscriptions only
        RouterSocket? snapshots = null;
        try
        {
            publisher.BindWhenFree(_options.Endpoint);
            Endpoint = publisher.Options.LastEndpoint ?? _options.Endpoint;
            if (_options.SnapshotEndpoint is { } snapshotEndpoint)
            {
                snapshots = new RouterSocket();
                snapshots.UseCurveServer(keyPair);
                snapshots.Options.Linger = TimeSpan.Zero;
                snapshots.Options.MaxMsgSize = _options.MaxSnapshotRequestBytes;
                snapshots.Options.SendHighWatermark = _options.SnapshotSendHighWatermark; // bounds a peer that never reads
                snapshots.Options.RouterMandatory = true; // a full queue refuses the send (a ROUTER otherwise drops silently)
                if (_authentication is not null)
                    PeerDisconnects.Report(snapshots); // forget a proof when its connection goes
                snapshots.BindWhenFree(snapshotEndpoint);
                SnapshotEndpoint = snapshots.Options.LastEndpoint ?? snapshotEndpoint;
            }
        }
        catch
        {
            publisher.Dispose();
            snapshots?.Dispose();
            Volatile.Write(ref _state, ComponentState.New); // nothing started: StartAsync may be called again
            throw;
        }
        Name = _options.Name ?? $"{AppDomain.CurrentDomain.FriendlyName}@{Endpoint}";
        _publisher = _loop.Own(publisher);
        ConnectionWatch.Start(_loop, publisher, _options.ConnectionLimits, _logger, "Publisher");
        publisher.ReceiveReady += OnSubscription;
        _loop.Every(_options.HeartbeatInterval, SendHeartbeat);
        if (_authentication is not null && _options.EncryptsPayloads)
            _loop.Every(ConnectionAuthentication.RecheckInterval, RotateKeysWhenTheAllowListShrinks);
        if (snapshots is not null)
        {
            _snapshots = _loop.Own(snapshots);
            ConnectionWatch.Start(_loop, snapshots, _options.ConnectionLimits, _logger, "Publisher snapshots");
            snapshots.ReceiveReady += OnSnapshotRequest;
        }
        _loop.Start($"ZeroBridge publisher {Endpoint}");
        StreamMetrics.Publishers.Add(this);
        StreamsLog.PublisherStarted(_logger, Name, Endpoint, SnapshotEndpoint ?? "none",
            _options.Certificate is null ? "plain text" : $"CURVE, server key {_options.Certificate.PublicKey}");
        if (_options is { AllowList: { } allowList, EncryptPayloads: false })
            StreamsLog.PayloadEncryptionOff(_logger, Name, allowList);
        else if (_options is { AllowList: { } list, EncryptPayloads: null })
            StreamsLog.PayloadsEncrypted(_logger, Name, list);
        return Task.CompletedTask;
    }

    /// <summary>Publishes a value on a topic. Thread-safe; never blocks on subscribers.</summary>
    /// <param name="topic">The topic: any text not starting with a NUL character (reserved). Subscribers select by prefix.</param>
    /// <param name="value">Any value a command can return (records, tables, sequences of records, …).</param>
    /// <returns>The message's sequence number on its topic.</returns>
    /// <exception cref="ArgumentException">The topic is empty or reserved.</exception>
    /// <exception cref="ZeroBridgeSerializationException">The value cannot be serialized.</exception>
    /// <exception cref="InvalidOperationException">The publisher is not running.</exception>
    public long Publish(string topic, object? value)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (topic.Length == 0 || topic[0] == '\0')
            throw new ArgumentException("A topic is non-empty text that does not start with NUL (reserved for the protocol).", nameof(topic));
        if (Volatile.Read(ref _state) != 1)
            throw new InvalidOperationException("The publisher is not running: call StartAsync first.");
        var attachments = new List<ReadOnlyMemory<byte>>();
        byte[] payload = WireSerializer.Serialize(value, attachments);
        byte[] topicBytes = Encoding.UTF8.GetBytes(topic);
        byte[] wirePayload = payload;
        List<ReadOnlyMemory<byte>> wireAttachments = attachments;
        long? keyGeneration = null;
        if (_options.EncryptsPayloads)
        {
            var key = KeyOf(topic);
            wirePayload = PayloadSeal.Seal(payload, attachments, key.Key); // outside the lock: one secretbox per message
            wireAttachments = [];
            keyGeneration = key.Generation;
        }
        lock (_gate)
        {
            long sequence = _sequences.TryGetValue(topic, out long last) ? last + 1 : 1;
            _sequences[topic] = sequence;
            long now = StreamWire.UnixMicroseconds(DateTimeOffset.UtcNow);
            var message = Build(topicBytes, Header(StreamWire.Kinds.Data, now, sequence, keyGeneration: keyGeneration), wirePayload, wireAttachments);
            if (KeepsLastValues) // kept unsealed: a snapshot seals it with the topic's key of its own time (keys rotate)
                _lastValues[topic] = new LastValue(topicBytes, sequence, now, payload, attachments);
            _outgoing.Enqueue(message); // in sequence order: enqueued under the lock that numbered it
            Interlocked.Increment(ref _published);
            return sequence;
        }
    }

    /// <summary>
    /// Publishes many values on a topic in one message (docs/protocol.md §11.7): subscribers get them one by one, each
    /// with its own sequence number, so gaps are counted per value; sending them costs one message instead of one per
    /// value. Thread-safe; never blocks on subscribers.
    /// </summary>
    /// <param name="topic">The topic, as for <see cref="Publish"/>.</param>
    /// <param name="values">The values, at least one, in order.</param>
    /// <returns>The last value's sequence number on its topic (the first is that minus the count plus one).</returns>
    /// <exception cref="ArgumentException">The topic is empty or reserved, or there is no value.</exception>
    /// <exception cref="ZeroBridgeSerializationException">A value cannot be serialized.</exception>
    /// <exception cref="InvalidOperationException">The publisher is not running.</exception>
    /// <remarks>Subscribers of this library from this version on (C# and Python) read batches; older ones ignore the
    /// message (an unknown kind) and report its values as a gap: publish to them with <see cref="Publish"/>.</remarks>
    public long PublishBatch(string topic, IEnumerable<object?> values)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(values);
        if (topic.Length == 0 || topic[0] == '\0')
            throw new ArgumentException("A topic is non-empty text that does not start with NUL (reserved for the protocol).", nameof(topic));
        var items = values as IReadOnlyList<object?> ?? values.ToArray();
        if (items.Count == 0)
            throw new ArgumentException("A batch holds at least one value.", nameof(values));
        if (Volatile.Read(ref _state) != 1)
            throw new InvalidOperationException("The publisher is not running: call StartAsync first.");
        var attachments = new List<ReadOnlyMemory<byte>>();
        byte[] payload = StreamBatch.Encode(items, attachments);
        LastValue? last = null;
        byte[] topicBytes = Encoding.UTF8.GetBytes(topic);
        if (KeepsLastValues) // a snapshot holds the topic's last value alone
        {
            var lastAttachments = new List<ReadOnlyMemory<byte>>();
            last = new LastValue(topicBytes, 0, 0, WireSerializer.Serialize(items[^1], lastAttachments), lastAttachments);
        }
        byte[] wirePayload = payload;
        List<ReadOnlyMemory<byte>> wireAttachments = attachments;
        long? keyGeneration = null;
        if (_options.EncryptsPayloads)
        {
            var key = KeyOf(topic);
            wirePayload = PayloadSeal.Seal(payload, attachments, key.Key);
            wireAttachments = [];
            keyGeneration = key.Generation;
        }
        lock (_gate)
        {
            long first = _sequences.TryGetValue(topic, out long previous) ? previous + 1 : 1;
            long sequence = first + items.Count - 1;
            _sequences[topic] = sequence;
            long now = StreamWire.UnixMicroseconds(DateTimeOffset.UtcNow);
            var message = Build(topicBytes, Header(StreamWire.Kinds.Batch, now, first, count: items.Count, keyGeneration: keyGeneration),
                wirePayload, wireAttachments);
            if (last is not null)
                _lastValues[topic] = last with { Sequence = sequence, Timestamp = now };
            _outgoing.Enqueue(message);
            Interlocked.Add(ref _published, items.Count);
            return sequence;
        }
    }

    /// <summary>Stops publishing and closes the sockets; what is queued is sent first.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!ComponentState.BeginStop(ref _state, _loop))
            return;
        StreamMetrics.Publishers.Remove(this);
        await _loop.StopAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        StreamsLog.PublisherStopped(_logger, Endpoint);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <inheritdoc/>
    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    private byte[] Header(string kind, long timestamp, long? sequence = null, long? count = null, string? requestId = null,
        long? keyGeneration = null) =>
        StreamWire.EncodeHeader(new StreamHeader(kind, Name, Epoch, timestamp, (int)_options.HeartbeatInterval.TotalMilliseconds,
            sequence, count, requestId, keyGeneration));

    /// <summary>
    /// When a proved key left the allow-list (or its permissions changed), gives every topic a new key of the next
    /// generation: values from now on are sealed with it, and subscribers ask for it when they meet it, so the key
    /// policy decides again under the allow-list as it is now. Runs on the loop's thread.
    /// </summary>
    private void RotateKeysWhenTheAllowListShrinks()
    {
        _authentication!.Recheck();
        if (_authentication.Revision == _rotatedAtRevision)
            return;
        _rotatedAtRevision = _authentication.Revision;
        int rotated;
        lock (_gate)
        {
            foreach (var (topic, key) in _topicKeys.ToList())
                _topicKeys[topic] = new TopicKey(key.Generation + 1, PayloadSeal.NewKey());
            rotated = _topicKeys.Count;
        }
        StreamsLog.TopicKeysRenewed(_logger, Name, _options.AllowList, rotated);
    }

    private long _rotatedAtRevision;

    /// <summary>The key of <paramref name="topic"/>, made on first use.</summary>
    private TopicKey KeyOf(string topic)
    {
        lock (_gate)
        {
            if (!_topicKeys.TryGetValue(topic, out var key))
                _topicKeys[topic] = key = new TopicKey(1, PayloadSeal.NewKey());
            return key;
        }
    }

    private static NetMQMessage Build(byte[] topic, byte[] header, byte[]? payload, List<ReadOnlyMemory<byte>>? attachments)
    {
        var message = new NetMQMessage(3 + (attachments?.Count ?? 0));
        message.Append(topic);
        message.Append(header);
        if (payload is not null)
            message.Append(payload);
        if (attachments is not null)
        {
            foreach (var attachment in attachments)
                message.Append(attachment.ToArray());
        }
        return message;
    }

    private void SendHeartbeat()
    {
        var message = new NetMQMessage(2);
        message.Append(StreamWire.HeartbeatTopicBytes);
        message.Append(Header(StreamWire.Kinds.Heartbeat, StreamWire.UnixMicroseconds(DateTimeOffset.UtcNow)));
        _publisher!.TrySendMultipartMessage(message);
    }

    private void OnSubscription(object? sender, NetMQSocketEventArgs e)
    {
        bool welcome = false;
        for (int i = 0; i < 1000 && e.Socket.TryReceiveFrameBytes(out var frame); i++)
        {
            // 1 + prefix subscribes, 0 + prefix unsubscribes; a subscriber takes the heartbeat topic last.
            if (frame.Length > 0 && frame[0] == 1 && frame.AsSpan(1).SequenceEqual(StreamWire.HeartbeatTopicBytes))
                welcome = true;
        }
        if (welcome)
            SendHeartbeat(); // tells a new subscriber its subscriptions are in place (§11.5)
    }

    private void OnSnapshotRequest(object? sender, NetMQSocketEventArgs e)
    {
        for (int i = 0; i < 100; i++)
        {
            var request = new NetMQMessage();
            if (!e.Socket.TryReceiveMultipartMessage(ref request))
                return;
            try
            {
                if (PeerDisconnects.IsNotice(request))
                    _authentication?.Disconnected(Convert.ToHexString(request[0].ToByteArray())); // before a newcomer can take the routing id
                else if (RouterProof.IsRequest(request))
                    ServeProof(request);
                else if (IsKeyRequest(request))
                    ServeKeys(request);
                else
                    ServeSnapshot(request);
            }
            catch (Exception ex) when (ex is ZeroBridgeException)
            {
                StreamsLog.SnapshotRequestRefused(_logger, ex);
            }
            catch (Exception ex)
            {
                _receiveFaults.Record(ex);
            }
        }
    }

    private void ServeSnapshot(NetMQMessage request)
    {
        // [identity, ("" ,) "ZBSNAP01", {"v": 1, "prefixes": [...], "id": str}]
        int at = 1;
        bool delimiter = request.FrameCount > 1 && request[1].MessageSize == 0;
        if (delimiter)
            at = 2;
        if (request.FrameCount != at + 2 || !request[at].ToByteArray().AsSpan().SequenceEqual(StreamWire.SnapshotSignatureBytes))
            throw new ZeroBridgeProtocolException("Not a snapshot request.");
        var (prefixes, id) = SnapshotRequest.Parse(request[at + 1].ToByteArray());
        List<LastValue> entries;
        lock (_gate)
            entries = _lastValues.Values.Where(entry => prefixes.Any(prefix => entry.TopicText.StartsWith(prefix, StringComparison.Ordinal))).ToList();

        var identity = request[0].ToByteArray();
        foreach (var entry in entries)
        {
            var message = _options.EncryptsPayloads && KeyOf(entry.TopicText) is var key
                ? Build(entry.Topic, Header(StreamWire.Kinds.Snapshot, entry.Timestamp, entry.Sequence, requestId: id,
                    keyGeneration: key.Generation), PayloadSeal.Seal(entry.Payload, entry.Attachments, key.Key), [])
                : Build(entry.Topic, Header(StreamWire.Kinds.Snapshot, entry.Timestamp, entry.Sequence, requestId: id),
                    entry.Payload, entry.Attachments);
            if (!Send(identity, delimiter, message))
            {
                // The peer's queue is full (it is not reading) or it left: the rest would only be dropped. Without an
                // end message a real subscriber's wait for the snapshot times out and says so (§11.5).
                StreamsLog.SnapshotCutShort(_logger);
                return;
            }
        }
        var end = Build(StreamWire.EndTopicBytes, Header(StreamWire.Kinds.End, StreamWire.UnixMicroseconds(DateTimeOffset.UtcNow),
            count: entries.Count, requestId: id), null, null);
        Send(identity, delimiter, end);
    }

    private static bool IsKeyRequest(NetMQMessage request)
    {
        int at = request.FrameCount > 1 && request[1].MessageSize == 0 ? 2 : 1;
        return request.FrameCount == at + 2 && request[at].ToByteArray().AsSpan().SequenceEqual(TopicKeyMessages.SignatureBytes);
    }

    /// <summary>
    /// Answers <c>auth.hello</c> and <c>auth.prove</c> as the server does (docs/protocol.md §15); a publisher without an
    /// <see cref="ZeroBridgePublisherOptions.AllowList"/> answers <c>bad_request</c> (nothing to prove), so a subscriber
    /// that always proves works with both.
    /// </summary>
    private void ServeProof(NetMQMessage message)
    {
        var reply = RouterProof.Answer(_authentication, message, "This publisher");
        try
        {
            _snapshots!.TrySendMultipartMessage(reply);
        }
        catch (HostUnreachableException)
        {
            // the peer left
        }
    }

    /// <summary>Answers a topic-key request (§11.6) with the keys the policy lets this peer have; nothing unless payloads are encrypted.</summary>
    private void ServeKeys(NetMQMessage request)
    {
        if (!_options.EncryptsPayloads)
            throw new ZeroBridgeProtocolException("A topic-key request to a publisher that does not encrypt payloads.");
        bool delimiter = request[1].MessageSize == 0;
        var (topics, id) = TopicKeyMessages.ParseRequest(request[request.FrameCount - 1].ToByteArray());
        var identity = request[0].ToByteArray();
        string connection = Convert.ToHexString(identity);
        var keys = new Dictionary<string, TopicKey>(StringComparer.Ordinal);
        var denied = new List<string>();
        foreach (var topic in topics.Distinct(StringComparer.Ordinal))
        {
            if (topic.Length == 0 || topic[0] == '\0')
                continue; // reserved topics are never encrypted
            if (TopicKeyPolicy.MayRead(connection, topic))
                keys[topic] = KeyOf(topic);
            else
                denied.Add(topic);
        }
        if (denied.Count > 0)
            StreamsLog.TopicKeysRefused(_logger, connection, _authentication?.IdentityOf(connection)?.Key ?? "not proved",
                string.Join(", ", denied));
        var reply = new NetMQMessage();
        reply.Append(TopicKeyMessages.SignatureBytes);
        reply.Append(TopicKeyMessages.EncodeReply(id, keys, denied));
        Send(identity, delimiter, reply);
    }

    private bool Send(byte[] identity, bool delimiter, NetMQMessage body)
    {
        if (delimiter)
            body.PushEmptyFrame();
        body.Push(identity);
        try
        {
            return _snapshots!.TrySendMultipartMessage(body);
        }
        catch (HostUnreachableException)
        {
            return false; // the subscriber left
        }
    }

    private sealed record LastValue(byte[] Topic, long Sequence, long Timestamp, byte[] Payload, List<ReadOnlyMemory<byte>> Attachments)
    {
        public string TopicText { get; } = Encoding.UTF8.GetString(Topic);
    }
}
