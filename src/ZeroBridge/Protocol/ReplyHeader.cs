using System.Buffers;
using MessagePack;

namespace ZeroBridge.Protocol;

/// <summary>The header frame of a bridge-protocol reply, <c>{"v": 1, "id": ..., "ok": bool}</c> (docs/protocol.md §3).</summary>
public static class ReplyHeader
{
    /// <summary>Writes a reply header; <paramref name="rawId"/> is the request's id exactly as the client encoded it.</summary>
    public static byte[] Write(ReadOnlyMemory<byte> rawId, bool ok)
    {
        var buffer = new ArrayBufferWriter<byte>(32);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(3);
        writer.Write(WireConstants.Header.Version);
        writer.Write(WireConstants.Version);
        writer.Write(WireConstants.Header.Id);
        writer.WriteRaw(rawId.Span);
        writer.Write(WireConstants.Header.Ok);
        writer.Write(ok);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads the integer id and the outcome of a reply header; false when the frame is not a map with an integer
    /// <c>id</c> (a reply this reader cannot match to a call). A missing <c>ok</c> reads as failure.
    /// </summary>
    public static bool TryRead(ReadOnlyMemory<byte> frame, out long id, out bool ok)
    {
        id = 0;
        ok = false;
        try
        {
            var reader = new MessagePackReader(frame);
            if (reader.NextMessagePackType != MessagePackType.Map)
                return false;
            int count = reader.ReadMapHeader();
            bool haveId = false;
            for (int i = 0; i < count; i++)
            {
                switch (HeaderMaps.NextKey(ref reader))
                {
                    case null:
                        continue;
                    case WireConstants.Header.Id when reader.NextMessagePackType == MessagePackType.Integer:
                        id = reader.ReadInt64();
                        haveId = true;
                        break;
                    case WireConstants.Header.Ok when reader.NextMessagePackType == MessagePackType.Boolean:
                        ok = reader.ReadBoolean();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            return haveId;
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or OverflowException)
        {
            return false;
        }
    }
}
