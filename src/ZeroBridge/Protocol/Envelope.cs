using NetMQ;

namespace ZeroBridge.Protocol;

/// <summary>
/// The routing frames a ROUTER socket received in front of a message body, kept so that the reply
/// travels back the same way (docs/protocol.md §1).
/// </summary>
/// <param name="RoutingFrames">The peer identity and any further routing ids, in order.</param>
/// <param name="HasDelimiter">Whether an empty delimiter frame followed them (REQ clients, MDP clients).</param>
public sealed record Envelope(IReadOnlyList<byte[]> RoutingFrames, bool HasDelimiter)
{
    /// <summary>The first routing frame: the identity ROUTER gave the peer that sent the message.</summary>
    public byte[] PeerIdentity => RoutingFrames[0];

    /// <summary>
    /// Splits a message received on a ROUTER socket into its envelope and the frames of its body.
    /// Routing frames run up to the first empty frame; a message without one (a DEALER peer that sent no
    /// delimiter) has only the peer identity as its envelope. The search stops at the bridge protocol's signature
    /// frame <c>MDPC01</c>, where a body starts: an empty frame after it is the body's (an empty attachment from a
    /// DEALER that sent no delimiter), not a delimiter.
    /// </summary>
    public static (Envelope Envelope, List<NetMQFrame> Body) Split(NetMQMessage message)
    {
        if (message.FrameCount == 0)
            throw new ArgumentException("A ROUTER message has at least the peer identity frame.", nameof(message));

        int delimiter = -1;
        for (int i = 1; i < message.FrameCount; i++)
        {
            if (message[i].MessageSize == 0)
            {
                delimiter = i;
                break;
            }
            if (message[i].Buffer.AsSpan(0, message[i].MessageSize).SequenceEqual(WireConstants.ClientSignatureBytes))
                break;
        }

        int routingCount = delimiter < 0 ? 1 : delimiter;
        var routing = new byte[routingCount][];
        for (int i = 0; i < routingCount; i++)
            routing[i] = message[i].ToByteArray();

        int bodyStart = delimiter < 0 ? 1 : delimiter + 1;
        var body = new List<NetMQFrame>(message.FrameCount - bodyStart);
        for (int i = bodyStart; i < message.FrameCount; i++)
            body.Add(message[i]);
        return (new Envelope(routing, delimiter >= 0), body);
    }

    /// <summary>Starts a reply message addressed back through this envelope.</summary>
    public NetMQMessage StartReply()
    {
        var reply = new NetMQMessage();
        foreach (var frame in RoutingFrames)
            reply.Append(frame);
        if (HasDelimiter)
            reply.AppendEmptyFrame();
        return reply;
    }
}
