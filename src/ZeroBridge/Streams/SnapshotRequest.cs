using MessagePack;
using ZeroBridge.Protocol;

namespace ZeroBridge.Streams;

/// <summary>
/// The query frame of a snapshot request, <c>{"v": 1, "prefixes": [str, ...], "id": str}</c> (docs/protocol.md §11).
/// </summary>
/// <param name="Prefixes">The topic prefixes whose last values are wanted; all topics when the request names none.</param>
/// <param name="Id">The request's id, echoed in each reply, or null.</param>
public sealed record SnapshotRequest(IReadOnlyList<string> Prefixes, string? Id)
{
    /// <summary>How many prefixes one request may name: each costs a pass over the last values.</summary>
    public const int MaxPrefixes = 256;

    /// <summary>
    /// Decodes the query frame. Throws <see cref="ZeroBridgeProtocolException"/> naming what is wrong: not a msgpack map,
    /// <c>v</c> missing or not the integer 1, <c>prefixes</c> not an array of strings or longer than
    /// <see cref="MaxPrefixes"/>. An <c>id</c> that is an integer is read as its decimal text; of any other type, ignored.
    /// </summary>
    public static SnapshotRequest Parse(ReadOnlyMemory<byte> frame)
    {
        long? version = null;
        List<string>? prefixes = null;
        string? id = null;
        try
        {
            var reader = HeaderMaps.OpenMap(frame, "A snapshot request");
            int entries = reader.ReadMapHeader();
            for (int i = 0; i < entries; i++)
            {
                if (HeaderMaps.NextKey(ref reader) is not { } key)
                    continue;
                var type = reader.NextMessagePackType;
                switch (key)
                {
                    case "v" when type == MessagePackType.Integer && reader.NextCode != MessagePackCode.UInt64:
                        version = reader.ReadInt64();
                        break;
                    case "prefixes" when type == MessagePackType.Array:
                        prefixes = HeaderMaps.ReadStringArray(ref reader, MaxPrefixes, "A snapshot request", "prefixes");
                        break;
                    case "prefixes" when type != MessagePackType.Nil:
                        throw new ZeroBridgeProtocolException("A snapshot request's 'prefixes' must be an array of str.");
                    case "id" when type == MessagePackType.String:
                        id = reader.ReadString();
                        break;
                    case "id" when type == MessagePackType.Integer && reader.NextCode != MessagePackCode.UInt64:
                        id = reader.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (Exception ex) when (HeaderMaps.IsDecodeError(ex))
        {
            throw new ZeroBridgeProtocolException($"Undecodable snapshot request: {ex.Message}", ex);
        }
        if (version != 1)
            throw new ZeroBridgeProtocolException("A snapshot request needs {\"v\": 1}.");
        return new SnapshotRequest(prefixes ?? [""], id);
    }
}
