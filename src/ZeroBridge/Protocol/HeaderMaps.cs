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
    /// A reader over <paramref name="frame"/> after checking that the frame opens with one well-formed msgpack map
    /// (<see cref="MessagePackShape"/>), so nothing read from it afterwards can run past its end. Throws
    /// <see cref="ZeroBridgeProtocolException"/> naming <paramref name="what"/> when it does not.
    /// </summary>
    public static MessagePackReader OpenMap(ReadOnlyMemory<byte> frame, string what)
    {
        if (MessagePackShape.Check(frame.Span, out _) is { } problem)
            throw new ZeroBridgeProtocolException($"{what} is not valid msgpack: {problem}.");
        var reader = new MessagePackReader(frame);
        if (reader.NextMessagePackType != MessagePackType.Map)
            throw new ZeroBridgeProtocolException($"{what} must be a msgpack map.");
        return reader;
    }

    /// <summary>
    /// Whether an exception is one a msgpack reader throws on bytes it cannot read as asked (wrong type, an integer
    /// out of range): the parsers turn these, and only these, into <see cref="ZeroBridgeProtocolException"/>.
    /// </summary>
    public static bool IsDecodeError(Exception ex) =>
        ex is MessagePackSerializationException or EndOfStreamException or OverflowException or ArgumentException;

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

    /// <summary>
    /// Reads an array of strings of at most <paramref name="max"/> items; <paramref name="what"/> ("A snapshot request")
    /// and <paramref name="field"/> ("prefixes") name it in the <see cref="ZeroBridgeProtocolException"/> otherwise.
    /// </summary>
    public static List<string> ReadStringArray(ref MessagePackReader reader, int max, string what, string field)
    {
        int count = reader.ReadArrayHeader();
        if (count > max)
            throw new ZeroBridgeProtocolException($"{what} names {count} {field}; at most {max} are served.");
        var items = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            if (reader.NextMessagePackType != MessagePackType.String)
                throw new ZeroBridgeProtocolException($"{what}'s '{field}' must be an array of str.");
            items.Add(reader.ReadString()!);
        }
        return items;
    }
}
