using MessagePack;

using ZeroBridge.Protocol;

namespace ZeroBridge.Serialization;

/// <summary>
/// Turns values into the msgpack of the wire protocol and back (docs/protocol.md §4). Large byte arrays
/// travel as attachment frames beside the msgpack frame.
/// </summary>
public static class WireSerializer
{
    /// <summary>The options every ZeroBridge message is read and written with; hardened for untrusted peers.</summary>
    internal static readonly MessagePackSerializerOptions BaseOptions = MessagePackSerializerOptions.Standard
        .WithResolver(ZeroBridgeResolver.Instance)
        .WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Serializes a value by its run-time type; large binary values go to <paramref name="attachments"/>.</summary>
    /// <exception cref="ZeroBridgeSerializationException">The value has a part that cannot be serialized.</exception>
    public static byte[] Serialize(object? value, List<ReadOnlyMemory<byte>> attachments) =>
        Serialize(value?.GetType() ?? typeof(object), value, attachments);

    /// <summary>Serializes a value as the given type; large binary values go to <paramref name="attachments"/>.</summary>
    /// <exception cref="ZeroBridgeSerializationException">The value has a part that cannot be serialized.</exception>
    public static byte[] Serialize(Type type, object? value, List<ReadOnlyMemory<byte>> attachments) =>
        Serialize(type, value, attachments, null);

    /// <summary>
    /// Serializes a reply: tables larger than the chunk size of <paramref name="tables"/> go in chunks, and each one
    /// cut is added to <paramref name="tables"/> for the caller to keep (or dispose, when this throws).
    /// </summary>
    internal static byte[] Serialize(Type type, object? value, List<ReadOnlyMemory<byte>> attachments, Columnar.TableChunking? tables,
        bool dictionaryStrings = false)
    {
        try
        {
            return MessagePackSerializer.Serialize(type, value, new WireSerializerOptions(BaseOptions)
            {
                OutgoingAttachments = attachments, TableChunking = tables, DictionaryStrings = dictionaryStrings,
            });
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or InvalidOperationException or NotSupportedException)
        {
            throw new ZeroBridgeSerializationException($"A value of type {type.Name} cannot be serialized: {Innermost(ex).Message}", ex);
        }
    }

    /// <summary>Reads a value of the given type; ext 6 references resolve against <paramref name="attachments"/>.</summary>
    /// <exception cref="ZeroBridgeSerializationException">The bytes do not hold a value of that type.</exception>
    public static object? Deserialize(Type type, ReadOnlyMemory<byte> bytes, IReadOnlyList<ReadOnlyMemory<byte>> attachments) =>
        Deserialize(type, bytes, attachments, null);

    /// <summary>Reads a reply whose tables may come in chunks: they are noted in <paramref name="chunked"/>.</summary>
    internal static object? Deserialize(Type type, ReadOnlyMemory<byte> bytes, IReadOnlyList<ReadOnlyMemory<byte>> attachments,
        Columnar.ChunkedTables? chunked)
    {
        RequireWellFormed(bytes);
        try
        {
            return MessagePackSerializer.Deserialize(type, bytes,
                new WireSerializerOptions(BaseOptions) { IncomingAttachments = attachments, ChunkedTables = chunked });
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or InvalidOperationException or OverflowException
                                       or FormatException or EndOfStreamException or ArgumentException)
        {
            throw new ZeroBridgeSerializationException(Innermost(ex).Message, ex);
        }
    }

    /// <summary>Reads a value of type <typeparamref name="T"/>.</summary>
    public static T? Deserialize<T>(ReadOnlyMemory<byte> bytes, IReadOnlyList<ReadOnlyMemory<byte>> attachments) =>
        (T?)Deserialize(typeof(T), bytes, attachments);

    /// <summary>Reads one chunk of a chunked table (the result of <c>table.next</c>, docs/protocol.md §10.3).</summary>
    /// <exception cref="ZeroBridgeSerializationException">The bytes do not hold a table chunk.</exception>
    internal static Columnar.ColumnarReader.Chunk DeserializeTableChunk(ReadOnlyMemory<byte> bytes, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        RequireWellFormed(bytes);
        try
        {
            var reader = new MessagePackReader(bytes);
            return Formatters.TableDataFormatter.ReadChunk(ref reader, ForReading(attachments));
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or InvalidOperationException or OverflowException
                                       or FormatException or EndOfStreamException or ArgumentException)
        {
            throw new ZeroBridgeSerializationException(Innermost(ex).Message, ex);
        }
    }

    /// <summary>
    /// Refuses bytes whose declared lengths run past their end or that nest too deeply before a formatter reads them:
    /// the formatters trust declared lengths, and deep nesting would overflow the stack (<see cref="MessagePackShape"/>).
    /// </summary>
    private static void RequireWellFormed(ReadOnlyMemory<byte> bytes)
    {
        if (MessagePackShape.Check(bytes.Span, out _) is { } problem)
            throw new ZeroBridgeSerializationException($"Not valid msgpack: {problem}.");
    }

    internal static MessagePackSerializerOptions ForWriting(List<ReadOnlyMemory<byte>> attachments) =>
        new WireSerializerOptions(BaseOptions) { OutgoingAttachments = attachments };

    internal static MessagePackSerializerOptions ForReading(IReadOnlyList<ReadOnlyMemory<byte>> attachments) =>
        new WireSerializerOptions(BaseOptions) { IncomingAttachments = attachments };

    /// <summary>MessagePack wraps failures in layers of "Failed to deserialize"; the innermost says what went wrong.</summary>
    internal static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
            ex = ex.InnerException;
        return ex;
    }
}
