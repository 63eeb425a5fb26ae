using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Serialization;
using ZeroBridge.Transport;

namespace ZeroBridge.Streams;

/// <summary>
/// Receives a ZeroBridge stream (docs/protocol.md §11) for some topic prefixes and never loses track silently:
/// sequence gaps, publisher restarts, silences (no heartbeat) and overflow are counted in <see cref="Statistics"/>
/// and reported to <see cref="ZeroBridgeSubscriberOptions.OnEvent"/>. With a snapshot endpoint, a late joiner
/// starts from the last value of every topic.
/// </summary>
/// <example>
/// <code>
/// await using var subscriber = new ZeroBridgeSubscriber("tcp://127.0.0.1:5556", ["orders."]);
/// await subscriber.StartAsync();
/// await foreach (var message in subscriber.ReadAllAsync(cancellationToken))
///     Console.WriteLine($"{message.Topic} #{message.Sequence}: {message.Value}");
/// </code>
/// </example>
public sealed class ZeroBridgeSubscriber : IZeroBridgeComponent
{
    private static readonly TimeSpan SilenceBeforeHeard = TimeSpan.FromSeconds(3);

    private readonly string _endpoint;
    private readonly string[] _topics;
    private readonly ZeroBridgeSubscriberOptions _options;
    private readonly ILogger _logger;
    private readonly SubscriberPhases<NetMQMessage> _phases;
    private readonly Channel<StreamMessage> _messages;
    private readonly Channel<string> _conflatedTopics = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Dictionary<string, StreamMessage> _pending = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SocketLoop _loop = new();
    private readonly TopicKeyring _keyring;
    private DealerSocket? _snapshot;
    private long _lastHeard = Environment.TickCount64;
    private volatile bool _heardAny; // written on the socket thread, read by StartAsync
    private int _heartbeatMilliseconds;
    private bool _silent;
    private long _received, _silences, _conflated, _overflowed;
    private int _state; // ComponentState

    /// <summary>Creates a subscriber of <paramref name="topics"/> (prefixes; "" for every topic) on a publisher's endpoint.</summary>
    public ZeroBridgeSubscriber(string endpoint, IEnumerable<string> topics, ZeroBridgeSubscriberOptions? options = null,
        ILogger<ZeroBridgeSubscriber>? logger = null)
    {
        _endpoint = endpoint;
        _topics = topics.ToArray();
        if (_topics.Length == 0)
            throw new ArgumentException("Subscribe to at least one prefix (\"\" for every topic).", nameof(topics));
        _options = options ?? ZeroBridgeSubscriberOptions.Default;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _messages = Channel.CreateBounded<StreamMessage>(new BoundedChannelOptions(_options.BufferCapacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full; the drop is counted and reported
        });
        _phases = new SubscriberPhases<NetMQMessage>(_options.WaitForPublisher, _options.SnapshotEndpoint is not null, Report);
        _keyring = new TopicKeyring(_options.SnapshotEndpoint, OpenDealer, _loop, (message, snapshot) => Accept(message, snapshot, replaying: true),
            Report, _logger,
            _options is { ServerKey: { } serverKey, Certificate: { HasSecretKey: true } client } ? (serverKey, client) : null);
    }

    /// <summary>The publisher endpoint this subscriber reads.</summary>
    internal string Endpoint => _endpoint;

    /// <summary>The counters so far.</summary>
    public StreamStatistics Statistics => new(Interlocked.Read(ref _received), _phases.Gaps, _phases.Missed, _phases.Restarts,
        _phases.Duplicates, Interlocked.Read(ref _silences), Interlocked.Read(ref _conflated), Interlocked.Read(ref _overflowed),
        _phases.Heartbeats);

    /// <summary>Whether the publisher is silent now (nothing heard for longer than the silence timeout).</summary>
    public bool IsSilent => Volatile.Read(ref _silent);

    /// <summary>
    /// Connects, subscribes and waits until the publisher is heard (so everything published from then on arrives);
    /// with a snapshot endpoint, also fetches the snapshot, whose values are read first. With
    /// <see cref="ZeroBridgeSubscriberOptions.WaitForPublisher"/> false it returns at once instead.
    /// </summary>
    /// <exception cref="ZeroBridgeTimeoutException">No publisher answered within <see cref="ZeroBridgeSubscriberOptions.StartTimeout"/>.</exception>
    /// <exception cref="ZeroBridgeAuthenticationException">With <see cref="ZeroBridgeSubscriberOptions.ServerKey"/> set, nothing at all arrived in that time: the CURVE handshake most likely did not complete.</exception>
    /// <exception cref="InvalidOperationException">The subscriber was started before, or is asked not to wait for a snapshot.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (!_options.WaitForPublisher && _options.SnapshotEndpoint is not null)
            throw new InvalidOperationException("A subscriber with a snapshot endpoint waits for the publisher (WaitForPublisher).");
        Open();
        try
        {
            await _ready.Task.WaitAsync(_options.StartTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (_options.ServerKey is not null && !_heardAny)
        {
            // NetMQ reports no handshake events: silence on a CURVE connection is the best sign of a failed handshake.
            throw new ZeroBridgeAuthenticationException(
                $"Nothing arrived from {_endpoint} within {_options.StartTimeout.TotalSeconds:0.#} s over CURVE: the handshake most " +
                "likely did not complete. Check that ServerKey is the publisher's public key (its NAME.key file) and that " +
                "the publisher uses CURVE.");
        }
        catch (TimeoutException)
        {
            throw new ZeroBridgeTimeoutException(_options.SnapshotEndpoint is null
                ? $"No publisher was heard on {_endpoint} within {_options.StartTimeout.TotalSeconds:0.#} s."
                : $"No snapshot from {_options.SnapshotEndpoint} (stream {_endpoint}) within {_options.StartTimeout.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>Reads the next value, waiting for it.</summary>
    public async ValueTask<StreamMessage> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (!_options.Conflate)
            return await _messages.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            string topic = await _conflatedTopics.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            lock (_pending)
            {
                if (_pending.Remove(topic, out var message))
                    return message;
            }
        }
    }

    /// <summary>Reads the next value, or null when none arrives within <paramref name="timeout"/>.</summary>
    public async ValueTask<StreamMessage?> ReadAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await ReadAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>The values as they arrive, until <paramref name="cancellationToken"/> is cancelled or the subscriber stops.</summary>
    public async IAsyncEnumerable<StreamMessage> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            StreamMessage message;
            try
            {
                message = await ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                yield break;
            }
            yield return message;
        }
    }

    /// <summary>Disconnects; values not yet read stay readable.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!ComponentState.BeginStop(ref _state, _loop))
            return;
        StreamMetrics.Subscribers.Remove(this);
        await _loop.StopAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        _snapshot?.Dispose(); // a snapshot still being fetched
        _keyring.Dispose();
        _messages.Writer.TryComplete();
        _conflatedTopics.Writer.TryComplete();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <inheritdoc/>
    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    private void Open()
    {
        if (Interlocked.CompareExchange(ref _state, ComponentState.Started, ComponentState.New) != ComponentState.New)
            throw new InvalidOperationException("A ZeroBridgeSubscriber starts once.");
        var socket = new SubscriberSocket();
        socket.UseCurveClient(_options.ServerKey, _options.Certificate?.ToNetMQ());
        socket.Options.Linger = TimeSpan.Zero;
        socket.Options.ReceiveHighWatermark = _options.ReceiveHighWatermark;
        socket.Options.MaxMsgSize = _options.MaxMessageBytes;
        foreach (var topic in _topics)
            socket.Subscribe(topic);
        socket.Subscribe(StreamWire.HeartbeatTopicBytes); // last: when its heartbeat comes, the others are in place
        socket.Connect(_endpoint);
        _loop.Own(socket);
        socket.ReceiveReady += OnStream;
        _loop.Every(TimeSpan.FromMilliseconds(100), CheckSilence);
        _loop.Start($"ZeroBridge subscriber {_endpoint}");
        StreamMetrics.Subscribers.Add(this);
        if (_phases.Current == SubscriberPhases<NetMQMessage>.Phase.Live)
            _ready.TrySetResult();
    }

    private void OnStream(object? sender, NetMQSocketEventArgs e)
    {
        for (int i = 0; i < 10_000; i++)
        {
            var message = new NetMQMessage();
            if (!e.Socket.TryReceiveMultipartMessage(ref message))
                return;
            Heard();
            var (now, fetchSnapshot) = _phases.OnStream(message, IsHeartbeat(message));
            foreach (var ready in now)
                Accept(ready, snapshot: false);
            if (fetchSnapshot)
                RequestSnapshot();
            else if (_phases.Current == SubscriberPhases<NetMQMessage>.Phase.Live)
                _ready.TrySetResult();
        }
    }

    private static bool IsHeartbeat(NetMQMessage message) =>
        message.FrameCount >= 2 && message[0].Buffer.AsSpan(0, message[0].MessageSize).SequenceEqual(StreamWire.HeartbeatTopicBytes);

    private void RequestSnapshot()
    {
        var dealer = OpenDealer();
        dealer.Connect(_options.SnapshotEndpoint!);
        dealer.ReceiveReady += OnSnapshot;
        _snapshot = dealer;
        _loop.Add(dealer);
        var query = new Dictionary<string, object?> { ["v"] = 1, ["prefixes"] = _topics, ["id"] = Guid.NewGuid().ToString("N") };
        var request = new NetMQMessage();
        request.AppendEmptyFrame();
        request.Append(StreamWire.SnapshotSignatureBytes);
        request.Append(WireSerializer.Serialize(query, []));
        dealer.SendMultipartMessage(request);
    }

    /// <summary>A DEALER for the snapshot endpoint (snapshots and topic keys), with this subscriber's CURVE keys; not connected.</summary>
    private DealerSocket OpenDealer()
    {
        var dealer = new DealerSocket();
        dealer.UseCurveClient(_options.ServerKey, _options.Certificate?.ToNetMQ());
        dealer.Options.Linger = TimeSpan.Zero;
        dealer.Options.MaxMsgSize = _options.MaxMessageBytes;
        dealer.Options.ReceiveHighWatermark = 0;
        return dealer;
    }

    private void OnSnapshot(object? sender, NetMQSocketEventArgs e)
    {
        for (int i = 0; i < 10_000; i++)
        {
            var reply = new NetMQMessage();
            if (!e.Socket.TryReceiveMultipartMessage(ref reply))
                return;
            if (reply.FrameCount > 0 && reply[0].MessageSize == 0)
                reply.Pop();
            if (reply.FrameCount < 2 || !TryDecodeHeader(reply, "snapshot", out var header))
                continue;
            if (header.Kind == StreamWire.Kinds.End)
            {
                FinishSnapshot(_phases.OnSnapshotEnd(header.Count, header.Publisher));
                return;
            }
            _phases.OnSnapshotEntry();
            Accept(reply, snapshot: true);
        }
    }

    private void FinishSnapshot(IReadOnlyList<NetMQMessage> held)
    {
        _loop.Remove(_snapshot!);
        _snapshot!.Dispose();
        _snapshot = null;
        foreach (var message in held)
            Accept(message, snapshot: false);
        _ready.TrySetResult();
    }

    /// <summary>The header frame of a message of at least two frames; an undecodable one is logged and ignored.</summary>
    private bool TryDecodeHeader(NetMQMessage message, string what, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out StreamHeader? header)
    {
        try
        {
            header = StreamWire.DecodeHeader(Frame(message[1]));
            return true;
        }
        catch (ZeroBridgeProtocolException ex)
        {
            StreamsLog.UndecodableStreamMessage(_logger, what, ex.Message);
            header = null;
            return false;
        }
    }

    private void Accept(NetMQMessage message, bool snapshot, bool replaying = false)
    {
        if (message.FrameCount < 2)
        {
            StreamsLog.StreamMessageMisframed(_logger, message.FrameCount);
            return;
        }
        if (!TryDecodeHeader(message, "stream", out var header))
            return;
        if (header.HeartbeatMilliseconds > 0)
            _heartbeatMilliseconds = header.HeartbeatMilliseconds;
        string topic = message[0].ConvertToString(Encoding.UTF8);
        ReadOnlyMemory<byte>? valueFrame = message.FrameCount > 2 ? Frame(message[2]) : null;
        var attachments = new ReadOnlyMemory<byte>[Math.Max(0, message.FrameCount - 3)];
        for (int i = 0; i < attachments.Length; i++)
            attachments[i] = Frame(message[i + 3]);
        if (header.KeyGeneration is { } generation && header.Kind is StreamWire.Kinds.Data or StreamWire.Kinds.Snapshot or StreamWire.Kinds.Batch)
        {
            // Before Admit: a value held for its key is sequenced when it comes back, in its topic's order.
            if (!_keyring.TryOpen(message, generation, topic, snapshot, replaying, out var opened, out attachments))
                return;
            valueFrame = opened;
        }
        if (!_phases.Admit(header, topic, snapshot, out long skip))
            return;
        long sequence = header.Sequence!.Value; // Admit lets through values with a sequence only

        object? value;
        try
        {
            value = valueFrame is { } frame ? WireSerializer.Deserialize<object>(frame, attachments) : null;
            if (header.Kind == StreamWire.Kinds.Batch && (value is not IList<object?> values || values.Count != header.Count))
                throw new ZeroBridgeSerializationException($"A batch of {header.Count} must be an array of {header.Count} values.");
        }
        catch (ZeroBridgeSerializationException ex)
        {
            StreamsLog.ValueUndecodable(_logger, topic, sequence, ex.Message);
            return;
        }
        var timestamp = StreamWire.FromUnixMicroseconds(header.Timestamp);
        if (header.Kind != StreamWire.Kinds.Batch)
        {
            Deliver(new StreamMessage(topic, sequence, timestamp, value, header.Publisher, header.Epoch, snapshot));
            return;
        }
        var batch = (IList<object?>)value!; // docs/protocol.md §11.7: values sequence, sequence + 1, ...
        for (int offset = (int)skip; offset < batch.Count; offset++)
            Deliver(new StreamMessage(topic, sequence + offset, timestamp, batch[offset], header.Publisher, header.Epoch, snapshot));
    }

    private void Deliver(StreamMessage message)
    {
        if (_options.Conflate)
        {
            bool replaced;
            lock (_pending)
            {
                replaced = _pending.ContainsKey(message.Topic);
                _pending[message.Topic] = message;
            }
            if (replaced)
                Interlocked.Increment(ref _conflated);
            else
                _conflatedTopics.Writer.TryWrite(message.Topic);
            Interlocked.Increment(ref _received);
            return;
        }
        if (_messages.Writer.TryWrite(message))
        {
            Interlocked.Increment(ref _received);
            return;
        }
        if (Interlocked.Increment(ref _overflowed) == 1 || _overflowed % 10_000 == 0)
            Report(new StreamEvent(StreamEventKind.Overflow, message.Topic, message.Publisher, 1,
                $"The consumer is not keeping up: {_overflowed} message(s) dropped by the subscriber's buffer ({_options.BufferCapacity})."));
    }

    private void Heard()
    {
        _lastHeard = Environment.TickCount64;
        _heardAny = true;
        if (_silent)
        {
            Volatile.Write(ref _silent, false);
            Report(new StreamEvent(StreamEventKind.Resumed, null, null, 0, $"The publisher on {_endpoint} is heard again."));
        }
    }

    private void CheckSilence()
    {
        var limit = _options.SilenceTimeout
            ?? (_heardAny && _heartbeatMilliseconds > 0 ? TimeSpan.FromMilliseconds(3 * _heartbeatMilliseconds) : SilenceBeforeHeard);
        if (_silent || Environment.TickCount64 - _lastHeard < limit.TotalMilliseconds)
            return;
        Volatile.Write(ref _silent, true);
        Interlocked.Increment(ref _silences);
        Report(new StreamEvent(StreamEventKind.Silent, null, null, 0,
            $"Nothing heard from {_endpoint} for {limit.TotalSeconds:0.#} s (no data, no heartbeat): the publisher is silent."));
    }

    private void Report(StreamEvent streamEvent)
    {
        StreamsLog.StreamEvent(_logger, streamEvent.Message);
        try
        {
            _options.OnEvent?.Invoke(streamEvent);
        }
        catch (Exception ex)
        {
            StreamsLog.StreamEventHandlerFailed(_logger, ex);
        }
    }

    private static ReadOnlyMemory<byte> Frame(NetMQFrame frame) => new(frame.Buffer, 0, frame.MessageSize);
}
