using MessagePack;

namespace ZeroBridge.Protocol;

/// <summary>
/// Reading the msgpack maps and values of protocol frames (request, task and stream headers, argument frames) the
/// same way everywhere: entries with non-string keys are skipped, and a value can be taken as its raw encoding so it
/// can be echoed byte for byte.
/// </summary>
internal static class HeaderMaps
{
    /// <summary>
    /// The key of the next map entry, or null when the key is not a string (the whole entry is then skipped and the
    /// caller moves on to the next one).
    /// </summary>
    public static string? NextKey(ref MessagePackReader reader)
    {
        if (reader.NextMessagePackType == MessagePackType.String)
            return reader.ReadString();
        reader.Skip();
        reader.Skip();
        return null;
    }

    /// <summary>The next value's raw msgpack bytes, as a slice of <paramref name="frame"/> (the reader reads that frame).</summary>
    public static ReadOnlyMemory<byte> ReadRaw(ref MessagePackReader reader, ReadOnlyMemory<byte> frame)
    {
        long start = reader.Consumed;
        reader.Skip();
        return frame.Slice((int)start, (int)(reader.Consumed - start));
    }
}
