using MessagePack;
using NetMQ;

namespace ZeroBridge.Protocol;

/// <summary>
/// The body of a bridge-protocol reply after its service frame: header, payload, attachments (docs/protocol.md §3).
/// Each route puts its own envelope in front: a server its client's routing frames, <c>MDPC01</c> and the service;
/// an MDP worker its REPLY command and the client's address.
/// </summary>
/// <param name="Header">The reply header (<see cref="ReplyHeader"/>).</param>
/// <param name="Payload">The msgpack result, or the error map (<see cref="ErrorMap"/>).</param>
/// <param name="Attachments">The attachment frames the payload refers to.</param>
public sealed record ReplyBody(byte[] Header, byte[] Payload, IReadOnlyList<ReadOnlyMemory<byte>> Attachments)
{
    /// <summary>A failed reply to the request <paramref name="rawId"/>; <paramref name="values"/> writes the error's details.</summary>
    public static ReplyBody Failure(ReadOnlyMemory<byte> rawId, ErrorMap error, MessagePackSerializerOptions values) =>
        new(ReplyHeader.Write(rawId, ok: false), error.Encode(values), []);

    /// <summary>Appends header, payload and attachments to <paramref name="message"/>, sharing the buffers (no copy).</summary>
    public void AppendTo(NetMQMessage message)
    {
        message.Append(Header);
        message.Append(Payload);
        foreach (var attachment in Attachments)
            message.Append(Frames.Of(attachment));
    }
}
