using MessagePack;
using NetMQ;
using ZeroBridge.Protocol;

namespace ZeroBridge.Security;

/// <summary>
/// The client's side of the proof (docs/protocol.md §15) on a DEALER whose own protocol is not a bridge client's: an
/// MDP worker, a subscriber's key socket, a task worker. It writes <c>auth.hello</c>, answers the challenge with
/// <c>auth.prove</c>, and says how the exchange ended; the owner sends what it is given and passes the replies in.
/// </summary>
/// <param name="serverKey">The listener's public key, Z85 (the key the DEALER pinned).</param>
/// <param name="client">This peer's key pair.</param>
/// <param name="service">The service frame of the two requests (echoed by the listener).</param>
/// <param name="timeout">The timeout the requests' headers announce.</param>
internal sealed class DealerProof(string serverKey, ZeroBridgeCertificate client, string service, TimeSpan timeout)
{
    private readonly byte[] _service = System.Text.Encoding.UTF8.GetBytes(service);

    private const long HelloId = 1, ProveId = 2;

    /// <summary>The key being proved, Z85.</summary>
    public string Key => client.PublicKey;

    /// <summary>The first request: <c>auth.hello</c>.</summary>
    public NetMQMessage Hello() => Request(HelloId, AuthMessages.Hello, []);

    /// <summary>Whether <paramref name="reply"/> (as the DEALER received it, an empty frame first or not) is a bridge-protocol reply.</summary>
    public static bool IsReply(NetMQMessage reply)
    {
        int at = reply.FrameCount > 0 && reply[0].MessageSize == 0 ? 1 : 0;
        return reply.FrameCount == at + 4 && reply[at].Buffer.AsSpan(0, reply[at].MessageSize).SequenceEqual(WireConstants.ClientSignatureBytes);
    }

    /// <summary>Takes a reply (<see cref="IsReply"/>): the next request to send, or how the proof ended.</summary>
    /// <exception cref="ZeroBridgeProtocolException">The reply cannot be read.</exception>
    public ProofStep Next(NetMQMessage reply)
    {
        int at = reply[0].MessageSize == 0 ? 1 : 0;
        if (!ReplyHeader.TryRead(reply[at + 2].ToByteArray(), out long id, out bool ok) || id is not (HelloId or ProveId))
            return ProofStep.Ignored;
        byte[] payload = reply[at + 3].ToByteArray();
        if (!ok)
        {
            var error = ErrorMap.Decode(payload, MessagePackSerializerOptions.Standard);
            return id == HelloId && error.Code == ErrorCodes.BadRequest
                ? ProofStep.NothingToProve // a listener without an allow-list
                : ProofStep.Refused(error.Message);
        }
        if (id == ProveId)
            return ProofStep.Proved;
        byte[] challenge = AuthMessages.ReadHelloReply(payload);
        var (nonce, box) = ClientProof.Create(serverKey, client, challenge);
        return ProofStep.Send(Request(ProveId, AuthMessages.Prove, new Dictionary<string, object?>
        {
            ["key"] = client.PublicKey,
            ["challenge"] = challenge,
            ["nonce"] = nonce,
            ["proof"] = box,
        }));
    }

    /// <summary>A bridge-protocol request of the proof, as a DEALER client sends it: "", MDPC01, service, header, arguments.</summary>
    private NetMQMessage Request(long id, string command, Dictionary<string, object?> keyword)
    {
        var message = new NetMQMessage();
        message.AppendEmptyFrame();
        message.Append(WireConstants.ClientSignatureBytes);
        message.Append(_service);
        message.Append(RequestHeader.WriteCall(id, command, timeout, []));
        message.Append(MessagePackSerializer.Serialize(new object[] { Array.Empty<object>(), keyword }, MessagePackSerializerOptions.Standard));
        return message;
    }
}

/// <summary>Where a <see cref="DealerProof"/> stands after a reply.</summary>
/// <param name="Outcome">How the proof ended, or null while it goes on.</param>
/// <param name="Request">The request to send next (while it goes on).</param>
/// <param name="Refusal">Why the listener refused the proof.</param>
internal sealed record ProofStep(ProofOutcome? Outcome, NetMQMessage? Request = null, string? Refusal = null)
{
    /// <summary>The connection proved its key.</summary>
    public static ProofStep Proved { get; } = new(ProofOutcome.Proved);

    /// <summary>The listener has no allow-list (<c>bad_request</c> to <c>auth.hello</c>).</summary>
    public static ProofStep NothingToProve { get; } = new(ProofOutcome.NothingToProve);

    /// <summary>A reply that is not one of the proof's (another id): nothing changes.</summary>
    public static ProofStep Ignored { get; } = new((ProofOutcome?)null);

    /// <summary>Send <paramref name="request"/> and wait for its reply.</summary>
    public static ProofStep Send(NetMQMessage request) => new(null, request);

    /// <summary>The listener refused the proof.</summary>
    public static ProofStep Refused(string why) => new(ProofOutcome.Refused, null, why);
}

/// <summary>How a proof ended.</summary>
internal enum ProofOutcome
{
    /// <summary>The listener accepted the key.</summary>
    Proved,

    /// <summary>The listener has no allow-list: nothing to prove, go on.</summary>
    NothingToProve,

    /// <summary>The listener refused the proof (<c>unauthenticated</c>), or it was malformed.</summary>
    Refused,
}
