using System.Buffers;
using MessagePack;
using ZeroBridge.Serialization;

namespace ZeroBridge.Streams;

/// <summary>
/// The value frame of a stream batch (docs/protocol.md §11.7): a msgpack array of the values, each encoded as a single
/// value would be (so a sequence of records stays one value, not a table of the batch), attachments shared.
/// </summary>
internal static class StreamBatch
{
    /// <summary>Encodes <paramref name="values"/> as one array; attachment frames go to <paramref name="attachments"/>.</summary>
    /// <exception cref="ZeroBridgeSerializationException">A value cannot be serialized.</exception>
    public static byte[] Encode(IReadOnlyList<object?> values, List<ReadOnlyMemory<byte>> attachments)
    {
        var encoded = new byte[values.Count][];
        for (int i = 0; i < values.Count; i++)
            encoded[i] = WireSerializer.Serialize(values[i], attachments);
        var buffer = new ArrayBufferWriter<byte>(8 + encoded.Sum(e => e.Length));
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(values.Count);
        foreach (var value in encoded)
            writer.WriteRaw(value);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
