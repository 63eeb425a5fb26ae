namespace ZeroBridge.Protocol;

/// <summary>
/// The body of a bridge-protocol request after its service frame: header, arguments, attachments
/// (docs/protocol.md §2). The same on every route: a direct server, an MDP worker (the broker forwards these frames
/// untouched) and the client that wrote them.
/// </summary>
/// <param name="Header">The decoded header.</param>
/// <param name="Arguments">The msgpack <c>[positional, keyword]</c> frame, or null when absent.</param>
/// <param name="Attachments">The raw frames after the arguments.</param>
public sealed record RequestBody(RequestHeader Header, ReadOnlyMemory<byte>? Arguments, IReadOnlyList<ReadOnlyMemory<byte>> Attachments)
{
    /// <summary>
    /// Decodes the frames of a body, header first. Throws <see cref="ZeroBridgeProtocolException"/> naming what is wrong;
    /// <paramref name="rawIdIfAny"/> still receives the id when it could be read, so the error reply can carry it.
    /// </summary>
    public static RequestBody Parse(IReadOnlyList<ReadOnlyMemory<byte>> frames, out ReadOnlyMemory<byte> rawIdIfAny)
    {
        rawIdIfAny = RequestHeader.NilId;
        if (frames.Count == 0)
            throw new ZeroBridgeProtocolException("A request needs at least a header frame after the service.");
        var header = RequestHeader.Parse(frames[0], out rawIdIfAny);
        ReadOnlyMemory<byte>? arguments = frames.Count > 1 ? frames[1] : (ReadOnlyMemory<byte>?)null;
        var attachments = new ReadOnlyMemory<byte>[Math.Max(0, frames.Count - 2)];
        for (int i = 0; i < attachments.Length; i++)
            attachments[i] = frames[i + 2];
        return new RequestBody(header, arguments, attachments);
    }
}
