using System.Text;
using MessagePack;
using NetMQ;
using ZeroBridge.Protocol;

namespace ZeroBridge.Security;

/// <summary>
/// The proof's two requests (<c>auth.hello</c>, <c>auth.prove</c>; docs/protocol.md §15) on a ROUTER whose own protocol
/// is not the bridge protocol: a publisher's snapshot socket, a task producer. They arrive as a bridge-protocol client
/// sends them (<c>MDPC01</c>, service, header, arguments) and are answered in the same form and envelope.
/// </summary>
internal static class RouterProof
{
    /// <summary>Whether the body of <paramref name="message"/> (after the routing id and an optional empty frame) opens with <c>MDPC01</c>.</summary>
    public static bool IsRequest(NetMQMessage message)
    {
        int at = message.FrameCount > 1 && message[1].MessageSize == 0 ? 2 : 1;
        return message.FrameCount > at && message[at].Buffer.AsSpan(0, message[at].MessageSize).SequenceEqual(WireConstants.ClientSignatureBytes);
    }

    /// <summary>
    /// The reply to a proof request. Without <paramref name="authentication"/> (the listener has no allow-list) the
    /// answer is <c>bad_request</c>: there is nothing to prove, and a peer that always proves goes on.
    /// </summary>
    /// <param name="authentication">Who proved what on this socket, or null without an allow-list.</param>
    /// <param name="message">The request as received, routing id first.</param>
    /// <param name="listener">What the listener is, for the refusal ("This publisher").</param>
    /// <exception cref="ZeroBridgeProtocolException">The message is not an <c>auth.hello</c> or <c>auth.prove</c> request.</exception>
    public static NetMQMessage Answer(ConnectionAuthentication? authentication, NetMQMessage message, string listener)
    {
        if (InboundRequest.Parse(message) is not BridgeRequest { Header.Command: var command } request || !AuthMessages.IsAuthCommand(command))
            throw new ZeroBridgeProtocolException($"{listener} answers only auth.hello and auth.prove in the bridge protocol.");
        var body = authentication is null
            ? Reject(request.Body.Header.RawId, ErrorMap.Of(ErrorCodes.BadRequest, $"{listener} has no allow-list: there is nothing to prove."))
            : authentication.Answer(Convert.ToHexString(request.Envelope.PeerIdentity), request.Body, Reject);
        var reply = request.Envelope.StartReply();
        reply.Append(WireConstants.ClientSignatureBytes);
        reply.Append(Encoding.UTF8.GetBytes(request.Service));
        body.AppendTo(reply);
        return reply;
    }

    /// <summary>The proof's refusals carry no details, so msgpack's standard options write them.</summary>
    private static ReplyBody Reject(ReadOnlyMemory<byte> rawId, ErrorMap error) =>
        ReplyBody.Failure(rawId, error, MessagePackSerializerOptions.Standard);
}
