using NetMQ;

namespace ZeroBridge.Protocol;

/// <summary>What a server received, sorted into the three things a message can be.</summary>
public abstract record InboundRequest(Envelope Envelope)
{
    /// <summary>
    /// Sorts a message received on a ROUTER socket: a bridge-protocol request (its body opens with
    /// <c>MDPC01</c>), a JSON-gateway request (anything else), or a request too broken to run.
    /// Never throws for anything a peer can send.
    /// </summary>
    public static InboundRequest Parse(NetMQMessage message)
    {
        var (envelope, body) = Envelope.Split(message);
        if (body.Count == 0)
            return new MalformedRequest(envelope, RequestHeader.NilId, null, "The message has no body frames.");

        if (!body[0].Buffer.AsSpan(0, body[0].MessageSize).SequenceEqual(WireConstants.ClientSignatureBytes))
            return body.Count == 1
                ? new GatewayRequest(envelope, body[0].ToByteArray())
                : new MalformedRequest(envelope, RequestHeader.NilId, null,
                    $"A JSON-gateway request is one frame; got {body.Count}. Bridge-protocol requests start with '{WireConstants.ClientSignature}'.",
                    IsGateway: true);

        if (body.Count < 3)
            return new MalformedRequest(envelope, RequestHeader.NilId, null,
                "A request needs at least the frames 'MDPC01', service and header.");

        string service = body[1].ConvertToString(System.Text.Encoding.UTF8);
        var frames = new ReadOnlyMemory<byte>[body.Count - 2];
        for (int i = 0; i < frames.Length; i++)
            frames[i] = Frame(body[i + 2]);
        // Parse fills rawId as soon as it has read the id, so an error reply to a broken header still
        // carries the id the client is waiting for.
        ReadOnlyMemory<byte> rawId = RequestHeader.NilId;
        try
        {
            return new BridgeRequest(envelope, service, RequestBody.Parse(frames, out rawId));
        }
        catch (ZeroBridgeProtocolException ex)
        {
            return new MalformedRequest(envelope, rawId, service, ex.Message);
        }
    }

    private static ReadOnlyMemory<byte> Frame(NetMQFrame frame) => new(frame.Buffer, 0, frame.MessageSize);
}

/// <summary>A bridge-protocol request (docs/protocol.md §2).</summary>
/// <param name="Envelope">Where the reply goes.</param>
/// <param name="Service">The service frame, echoed in the reply.</param>
/// <param name="Body">Header, arguments and attachments.</param>
public sealed record BridgeRequest(Envelope Envelope, string Service, RequestBody Body) : InboundRequest(Envelope)
{
    /// <summary>The decoded header.</summary>
    public RequestHeader Header => Body.Header;
}

/// <summary>A JSON-gateway request: one frame of text (docs/protocol.md §6).</summary>
public sealed record GatewayRequest(Envelope Envelope, byte[] Text) : InboundRequest(Envelope);

/// <summary>A message too broken to run; it still gets an error reply.</summary>
/// <param name="Envelope">Where the reply goes.</param>
/// <param name="RawId">The request id when it could be read, else msgpack nil.</param>
/// <param name="Service">The service frame when there was one.</param>
/// <param name="Reason">What is wrong, for the error message.</param>
/// <param name="IsGateway">Whether to answer in the JSON gateway's form rather than the bridge protocol's.</param>
public sealed record MalformedRequest(Envelope Envelope, ReadOnlyMemory<byte> RawId, string? Service, string Reason,
    bool IsGateway = false) : InboundRequest(Envelope);
