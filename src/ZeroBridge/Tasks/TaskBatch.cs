using System.Buffers;
using MessagePack;
using ZeroBridge.Protocol;

namespace ZeroBridge.Tasks;

/// <summary>
/// Batched tasks (docs/protocol.md §12.5): many items of one kind in one task message, run one by one. The task header
/// carries <c>"batch": N</c> and its body is the map <c>{"items": [[positional, keyword], ...]}</c>; the result header
/// carries <c>"batch": N</c> and its body is the array of the N outcomes <c>[ok, value or error map]</c>, in order.
/// </summary>
/// <remarks>The body is a map, not an array, so that a worker that does not know batches refuses it with
/// <c>bad_request</c> (its arguments are not <c>[positional, keyword]</c>) instead of running it as one task; a result
/// without <c>batch</c> for a batch therefore fails every item with that result's error.</remarks>
internal static class TaskBatch
{
    /// <summary>The header key: how many items a batch holds.</summary>
    public const string Key = "batch";

    /// <summary>The key of the task body's item list.</summary>
    public const string ItemsKey = "items";

    /// <summary>The raw <c>[positional, keyword]</c> arrays of a batch body of <paramref name="count"/> items.</summary>
    /// <exception cref="ZeroBridgeProtocolException">The body is not such a batch.</exception>
    public static ReadOnlyMemory<byte>[] Items(ReadOnlyMemory<byte> body, long count)
    {
        string shape = $"A batch of {count} must be a map {{\"items\": [...]}} of {count} [positional, keyword] arrays";
        if (count < 1)
            throw new ZeroBridgeProtocolException($"A batch's size must be a positive integer, not {count}.");
        try
        {
            var reader = HeaderMaps.OpenMap(body, "A batch");
            int entries = reader.ReadMapHeader();
            for (int i = 0; i < entries; i++)
            {
                if (HeaderMaps.NextKey(ref reader) != ItemsKey)
                {
                    reader.Skip();
                    continue;
                }
                if (reader.NextMessagePackType != MessagePackType.Array || reader.ReadArrayHeader() is var length && length != count)
                    throw new ZeroBridgeProtocolException(shape + ".");
                var items = new ReadOnlyMemory<byte>[length];
                for (int item = 0; item < length; item++)
                    items[item] = HeaderMaps.ReadRaw(ref reader, body);
                return items;
            }
        }
        catch (Exception ex) when (HeaderMaps.IsDecodeError(ex))
        {
            throw new ZeroBridgeProtocolException($"The batch cannot be decoded: {ex.Message}", ex);
        }
        throw new ZeroBridgeProtocolException(shape + ".");
    }

    /// <summary>A result body: the array of <c>[ok, value]</c> pairs, from each item's encoded value or error map.</summary>
    public static byte[] ResultBody(IReadOnlyList<(bool Ok, byte[] Encoded)> outcomes)
    {
        var buffer = new ArrayBufferWriter<byte>(16 + outcomes.Sum(o => o.Encoded.Length + 2));
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(outcomes.Count);
        foreach (var (ok, encoded) in outcomes)
        {
            writer.WriteArrayHeader(2);
            writer.Write(ok);
            writer.WriteRaw(encoded);
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The <paramref name="count"/> outcomes of a batch result body, each value still encoded.</summary>
    /// <exception cref="ZeroBridgeProtocolException">The body is not an array of <paramref name="count"/> <c>[ok, value]</c> pairs.</exception>
    public static (bool Ok, ReadOnlyMemory<byte> Encoded)[] Outcomes(ReadOnlyMemory<byte> body, int count)
    {
        string shape = $"A batch result must be an array of {count} [ok, value] pairs.";
        if (MessagePackShape.Check(body.Span, out _) is { } problem)
            throw new ZeroBridgeProtocolException($"A batch result is not valid msgpack: {problem}.");
        try
        {
            var reader = new MessagePackReader(body);
            if (reader.NextMessagePackType != MessagePackType.Array || reader.ReadArrayHeader() != count)
                throw new ZeroBridgeProtocolException(shape);
            var outcomes = new (bool, ReadOnlyMemory<byte>)[count];
            for (int i = 0; i < count; i++)
            {
                if (reader.NextMessagePackType != MessagePackType.Array || reader.ReadArrayHeader() != 2
                    || reader.NextMessagePackType != MessagePackType.Boolean)
                    throw new ZeroBridgeProtocolException(shape);
                bool ok = reader.ReadBoolean();
                outcomes[i] = (ok, HeaderMaps.ReadRaw(ref reader, body));
            }
            return outcomes;
        }
        catch (Exception ex) when (HeaderMaps.IsDecodeError(ex))
        {
            throw new ZeroBridgeProtocolException($"A batch result cannot be decoded: {ex.Message}", ex);
        }
    }
}
