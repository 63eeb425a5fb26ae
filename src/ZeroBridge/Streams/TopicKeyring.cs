using System.Text;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Protocol;
using ZeroBridge.Security;
using ZeroBridge.Transport;

namespace ZeroBridge.Streams;

/// <summary>
/// A subscriber's side of encrypted payloads (docs/protocol.md §11.6): the topic keys it holds, the messages waiting for
/// a key, and the DEALER that asks the publisher's snapshot endpoint for keys. Lives on the subscriber's socket thread.
/// </summary>
/// <remarks>
/// A message sealed with a key the subscriber lacks is held (in order, per topic) and the key asked for; when the
/// reply comes the held messages are handed back through <c>replay</c>, or dropped and reported as
/// <see cref="StreamEventKind.KeyDenied"/> when the publisher refused the key.
/// </remarks>
internal sealed class TopicKeyring : IDisposable
{
    private const int MaxHeldPerTopic = 10_000;

    private readonly string? _keyEndpoint;
    private readonly Func<DealerSocket> _openDealer;
    private readonly SocketLoop _loop;
    private readonly Action<NetMQMessage, bool> _replay;
    private readonly Action<StreamEvent> _report;
    private readonly ILogger _logger;
    private readonly Dictionary<string, TopicKey> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(NetMQMessage Message, bool Snapshot)>> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _denied = new(StringComparer.Ordinal); // topic → values dropped
    private readonly DealerProof? _prover;
    private readonly List<string> _awaitingProof = []; // topics asked for while the proof is under way
    private bool _proving;
    private DealerSocket? _dealer;

    /// <param name="keyEndpoint">The publisher's snapshot endpoint, where keys are asked for; null when there is none.</param>
    /// <param name="openDealer">Makes a DEALER with the subscriber's CURVE keys and limits (not connected).</param>
    /// <param name="loop">The subscriber's socket loop.</param>
    /// <param name="replay">Takes back a held message once its key came: (message, from the snapshot).</param>
    /// <param name="report">Reports a refused key.</param>
    /// <param name="logger">Where undecodable replies are logged.</param>
    /// <param name="prover">
    /// The publisher's key and the subscriber's certificate (with its secret key) when the subscriber proves its key
    /// (auth.hello/auth.prove, docs/protocol.md §15) on the DEALER before asking for keys; null to ask at once.
    /// </param>
    public TopicKeyring(string? keyEndpoint, Func<DealerSocket> openDealer, SocketLoop loop, Action<NetMQMessage, bool> replay,
        Action<StreamEvent> report, ILogger logger, (string ServerKey, ZeroBridgeCertificate Client)? prover = null)
    {
        _prover = prover is var (serverKey, client) ? new DealerProof(serverKey, client, WireConstants.DefaultService, TimeSpan.FromSeconds(30)) : null;
        _keyEndpoint = keyEndpoint;
        _openDealer = openDealer;
        _loop = loop;
        _replay = replay;
        _report = report;
        _logger = logger;
    }

    /// <summary>Values dropped because their key was refused or could not be asked for.</summary>
    public long Dropped { get; private set; }

    /// <summary>
    /// Opens the sealed payload of <paramref name="message"/>; false when it cannot be opened now (held until its key
    /// comes, or dropped: key refused, or the payload does not open).
    /// </summary>
    /// <param name="message">A data or snapshot message whose header has a key generation.</param>
    /// <param name="generation">The generation of the key that sealed it.</param>
    /// <param name="topic">Its topic.</param>
    /// <param name="snapshot">Whether it came from the snapshot.</param>
    /// <param name="replaying">Whether it is handed back after a key reply (then a key still missing drops it: no second request).</param>
    /// <param name="value">The value frame.</param>
    /// <param name="attachments">The attachment frames.</param>
    public bool TryOpen(NetMQMessage message, long generation, string topic, bool snapshot, bool replaying,
        out ReadOnlyMemory<byte> value, out ReadOnlyMemory<byte>[] attachments)
    {
        value = default;
        attachments = [];
        if (_keys.TryGetValue(topic, out var key) && key.Generation == generation)
        {
            if (message.FrameCount != 3)
                return Drop(topic, "an encrypted value is one sealed frame");
            try
            {
                (value, attachments) = PayloadSeal.Open(message[2].Buffer.AsSpan(0, message[2].MessageSize), key.Key);
                return true;
            }
            catch (ZeroBridgeProtocolException ex)
            {
                return Drop(topic, ex.Message);
            }
        }
        if (key is not null && key.Generation > generation)
            return Drop(topic, $"sealed with a retired key (generation {generation}; the topic's is {key.Generation} now)");
        if (_denied.ContainsKey(topic) || replaying)
        {
            Deny(topic, 1, replaying ? $"the publisher sent no key of generation {generation}" : null);
            return false;
        }
        if (_keyEndpoint is null)
        {
            Deny(topic, 1, "the stream is encrypted and the subscriber has no SnapshotEndpoint to ask for keys");
            return false;
        }
        Hold(topic, message, snapshot);
        return false;
    }

    /// <inheritdoc/>
    public void Dispose() => _dealer?.Dispose();

    private void Hold(string topic, NetMQMessage message, bool snapshot)
    {
        if (!_held.TryGetValue(topic, out var waiting))
        {
            _held[topic] = waiting = [];
            Request(topic); // one request per topic while its key is awaited
        }
        if (waiting.Count < MaxHeldPerTopic)
            waiting.Add((message, snapshot));
        else
            Drop(topic, "too many values waiting for the topic's key");
    }

    private void Request(string topic)
    {
        if (_dealer is null)
        {
            _dealer = _openDealer();
            _dealer.ReceiveReady += OnReply;
            _dealer.Connect(_keyEndpoint!);
            _loop.Add(_dealer);
            if (_prover is not null)
            {
                _proving = true;
                _dealer.SendMultipartMessage(_prover.Hello());
            }
        }
        if (_proving)
        {
            _awaitingProof.Add(topic); // asked once the publisher has answered the proof
            return;
        }
        var request = new NetMQMessage();
        request.AppendEmptyFrame();
        request.Append(TopicKeyMessages.SignatureBytes);
        request.Append(TopicKeyMessages.EncodeRequest([topic], Guid.NewGuid().ToString("N")));
        _dealer.SendMultipartMessage(request);
    }

    private void OnReply(object? sender, NetMQSocketEventArgs e)
    {
        for (int i = 0; i < 1000; i++)
        {
            var reply = new NetMQMessage();
            if (!e.Socket.TryReceiveMultipartMessage(ref reply))
                return;
            if (reply.FrameCount > 0 && reply[0].MessageSize == 0)
                reply.Pop();
            if (DealerProof.IsReply(reply))
            {
                try
                {
                    OnProofReply(reply);
                }
                catch (ZeroBridgeProtocolException ex)
                {
                    StreamsLog.UndecodableProofReply(_logger, ex.Message);
                }
                continue;
            }
            if (reply.FrameCount != 2 || !reply[0].ToByteArray().AsSpan().SequenceEqual(TopicKeyMessages.SignatureBytes))
                continue;
            IReadOnlyDictionary<string, TopicKey> keys;
            IReadOnlyList<string> denied;
            try
            {
                (keys, denied) = TopicKeyMessages.ParseReply(reply[1].ToByteArray());
            }
            catch (ZeroBridgeProtocolException ex)
            {
                StreamsLog.UndecodableTopicKeyReply(_logger, ex.Message);
                continue;
            }
            foreach (var (topic, key) in keys)
            {
                _keys[topic] = key;
                _denied.Remove(topic);
                if (_held.Remove(topic, out var waiting))
                {
                    foreach (var (message, snapshot) in waiting)
                        _replay(message, snapshot);
                }
            }
            foreach (var topic in denied)
            {
                long count = _held.Remove(topic, out var waiting) ? waiting.Count : 0;
                Deny(topic, count, null);
            }
        }
    }

    /// <summary>
    /// The publisher's answers to auth.hello and auth.prove: prove, then ask for the keys held back. A refused proof is
    /// logged and the keys asked for anyway: the publisher then refuses them and the subscriber reports key_denied.
    /// </summary>
    private void OnProofReply(NetMQMessage reply)
    {
        if (!_proving)
            return;
        var step = _prover!.Next(reply);
        if (step.Request is { } next)
        {
            _dealer!.SendMultipartMessage(next);
            return;
        }
        if (step.Outcome is null)
            return;
        if (step.Outcome == ProofOutcome.Refused)
            StreamsLog.SubscriberKeyRefused(_logger, _prover.Key, step.Refusal);
        _proving = false;
        var topics = _awaitingProof.ToList();
        _awaitingProof.Clear();
        foreach (var topic in topics)
            Request(topic);
    }

    private void Deny(string topic, long count, string? reason)
    {
        bool first = !_denied.ContainsKey(topic);
        _denied[topic] = _denied.GetValueOrDefault(topic) + count;
        Dropped += count;
        if (first)
            _report(new StreamEvent(StreamEventKind.KeyDenied, topic, null, count,
                $"The values of '{topic}' are encrypted and {reason ?? "the publisher refused this subscriber its key"}: they are dropped."));
    }

    private bool Drop(string topic, string reason)
    {
        Dropped++;
        StreamsLog.EncryptedValueDropped(_logger, topic, reason);
        return false;
    }
}
