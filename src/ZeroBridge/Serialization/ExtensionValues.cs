using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using MessagePack;

namespace ZeroBridge.Serialization;

/// <summary>
/// Encoding and decoding of the ext type payloads, shared by the typed formatters and the formatter for
/// <see cref="object"/> so that each ext type is defined in one place.
/// </summary>
internal static class ExtensionValues
{
    /// <summary>A decoded datetime: wall-clock ticks and, for an aware value, its offset from UTC.</summary>
    internal readonly record struct WireDateTime(long Ticks, TimeSpan? Offset)
    {
        public DateTime ToDateTime() => Offset is { } offset
            ? new DateTimeOffset(Ticks, offset).UtcDateTime
            : new DateTime(Ticks, DateTimeKind.Unspecified);

        public DateTimeOffset ToDateTimeOffset() => new(Ticks, Offset ?? System.TimeSpan.Zero);

        /// <summary>Naive values become <see cref="DateTime"/>, aware ones <see cref="DateTimeOffset"/>.</summary>
        public object ToObject() => Offset is null ? ToDateTime() : (object)ToDateTimeOffset(); // the cast stops DateTime converting to DateTimeOffset
    }

    public static void WriteDateTime(ref MessagePackWriter writer, DateTime value)
    {
        switch (value.Kind)
        {
            case DateTimeKind.Utc:
                WriteDateTime(ref writer, value.Ticks, System.TimeSpan.Zero);
                break;
            case DateTimeKind.Local:
                var local = new DateTimeOffset(value);
                WriteDateTime(ref writer, local.Ticks, local.Offset);
                break;
            default:
                WriteDateTime(ref writer, value.Ticks, null);
                break;
        }
    }

    public static void WriteDateTime(ref MessagePackWriter writer, long ticks, TimeSpan? offset)
    {
        Span<byte> payload = stackalloc byte[10];
        BinaryPrimitives.WriteInt64BigEndian(payload, ticks);
        int length = 8;
        if (offset is { } o)
        {
            BinaryPrimitives.WriteInt16BigEndian(payload[8..], checked((short)o.TotalMinutes));
            length = 10;
        }
        WriteExtension(ref writer, ExtensionTypeCodes.DateTime, payload[..length]);
    }

    public static void WriteTimeSpan(ref MessagePackWriter writer, long ticks)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(payload, ticks);
        WriteExtension(ref writer, ExtensionTypeCodes.TimeSpan, payload);
    }

    public static void WriteDecimal(ref MessagePackWriter writer, decimal value)
    {
        Span<byte> payload = stackalloc byte[64];
        int length = Encoding.UTF8.GetBytes(value.ToString(CultureInfo.InvariantCulture), payload);
        WriteExtension(ref writer, ExtensionTypeCodes.Decimal, payload[..length]);
    }

    public static void WriteGuid(ref MessagePackWriter writer, Guid value)
    {
        Span<byte> payload = stackalloc byte[16];
        value.TryWriteBytes(payload, bigEndian: true, out _);
        WriteExtension(ref writer, ExtensionTypeCodes.Uuid, payload);
    }

    public static void WriteExtension(ref MessagePackWriter writer, sbyte code, scoped ReadOnlySpan<byte> payload)
    {
        writer.WriteExtensionFormatHeader(new ExtensionHeader(code, (uint)payload.Length));
        // Copied through GetSpan rather than WriteRaw: the writer is a ref struct, and the compiler cannot
        // prove that WriteRaw does not keep a stack-allocated span.
        payload.CopyTo(writer.GetSpan(payload.Length));
        writer.Advance(payload.Length);
    }

    /// <summary>Reads an ext header and its payload as one contiguous buffer.</summary>
    public static (sbyte Code, byte[] Payload) ReadExtension(ref MessagePackReader reader)
    {
        var header = reader.ReadExtensionFormatHeader();
        var sequence = reader.ReadRaw(header.Length);
        return (header.TypeCode, sequence.ToArray());
    }

    public static WireDateTime DecodeDateTime(ReadOnlySpan<byte> payload) => payload.Length switch
    {
        8 => new WireDateTime(BinaryPrimitives.ReadInt64BigEndian(payload), null),
        10 => new WireDateTime(BinaryPrimitives.ReadInt64BigEndian(payload),
            System.TimeSpan.FromMinutes(BinaryPrimitives.ReadInt16BigEndian(payload[8..]))),
        _ => throw new MessagePackSerializationException($"A datetime (ext 1) has 8 or 10 bytes, not {payload.Length}."),
    };

    /// <summary>Decodes the standard msgpack timestamp (ext -1) as a UTC instant.</summary>
    public static WireDateTime DecodeTimestamp(ReadOnlySpan<byte> payload)
    {
        long seconds;
        long nanoseconds;
        switch (payload.Length)
        {
            case 4:
                seconds = BinaryPrimitives.ReadUInt32BigEndian(payload);
                nanoseconds = 0;
                break;
            case 8:
                ulong both = BinaryPrimitives.ReadUInt64BigEndian(payload);
                nanoseconds = (long)(both >> 34);
                seconds = (long)(both & 0x3_FFFF_FFFFUL);
                break;
            case 12:
                nanoseconds = BinaryPrimitives.ReadUInt32BigEndian(payload);
                seconds = BinaryPrimitives.ReadInt64BigEndian(payload[4..]);
                break;
            default:
                throw new MessagePackSerializationException($"A timestamp (ext -1) has 4, 8 or 12 bytes, not {payload.Length}.");
        }
        long ticks = DateTime.UnixEpoch.Ticks + seconds * System.TimeSpan.TicksPerSecond + nanoseconds / 100;
        return new WireDateTime(ticks, System.TimeSpan.Zero);
    }

    public static long DecodeTicks(ReadOnlySpan<byte> payload) => payload.Length == 8
        ? BinaryPrimitives.ReadInt64BigEndian(payload)
        : throw new MessagePackSerializationException($"A timespan (ext 2) has 8 bytes, not {payload.Length}.");

    public static decimal DecodeDecimal(ReadOnlySpan<byte> payload) =>
        decimal.TryParse(Encoding.UTF8.GetString(payload), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new MessagePackSerializationException("A decimal (ext 3) does not hold a decimal number.");

    public static Guid DecodeGuid(ReadOnlySpan<byte> payload) => payload.Length == 16
        ? new Guid(payload, bigEndian: true)
        : throw new MessagePackSerializationException($"A uuid (ext 4) has 16 bytes, not {payload.Length}.");

    /// <summary>Resolves an attachment reference (ext 6) against the message's frames.</summary>
    public static ReadOnlyMemory<byte> DecodeAttachment(ReadOnlySpan<byte> payload, MessagePackSerializerOptions options)
    {
        if (payload.Length != 4)
            throw new MessagePackSerializationException($"An attachment reference (ext 6) has 4 bytes, not {payload.Length}.");
        uint index = BinaryPrimitives.ReadUInt32BigEndian(payload);
        var frames = (options as WireSerializerOptions)?.IncomingAttachments ?? Array.Empty<ReadOnlyMemory<byte>>();
        return index < frames.Count
            ? frames[(int)index]
            : throw new MissingAttachmentException(index, frames.Count);
    }

    /// <summary>Writes bytes inline as bin, or as an attachment frame when they are large and the message allows it.</summary>
    public static void WriteBytes(ref MessagePackWriter writer, ReadOnlyMemory<byte> bytes, MessagePackSerializerOptions options)
    {
        if (bytes.Length >= Protocol.WireConstants.AttachmentThreshold
            && options is WireSerializerOptions { OutgoingAttachments: { } attachments })
        {
            Span<byte> payload = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)attachments.Count);
            attachments.Add(bytes);
            WriteExtension(ref writer, ExtensionTypeCodes.Attachment, payload);
            return;
        }
        writer.Write(bytes.Span);
    }

    /// <summary>Reads bytes written as bin, as an attachment reference, or (for JSON clients) as base64 text.</summary>
    public static ReadOnlyMemory<byte> ReadBytes(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Binary:
                return reader.ReadBytes()!.Value.ToArray();
            case MessagePackType.Extension:
                var (code, payload) = ReadExtension(ref reader);
                return code == ExtensionTypeCodes.Attachment
                    ? DecodeAttachment(payload, options)
                    : throw new MessagePackSerializationException($"Expected bytes, got ext type {code}.");
            case MessagePackType.String:
                try
                {
                    return Convert.FromBase64String(reader.ReadString()!);
                }
                catch (FormatException ex)
                {
                    throw new MessagePackSerializationException("Expected bytes; a str is accepted only as base64.", ex);
                }
            default:
                throw new MessagePackSerializationException($"Expected bytes, got {WireTypeNames.Describe(reader.NextMessagePackType)}.");
        }
    }
}

/// <summary>
/// A value refers to an attachment frame the message does not have: the message is malformed (a
/// <c>bad_request</c>), not an argument of the wrong type.
/// </summary>
internal sealed class MissingAttachmentException(uint index, int count)
    : MessagePackSerializationException($"Attachment {index} is referenced but the message has {count} attachment frame(s).");
