using System.Globalization;
using MessagePack;
using MessagePack.Formatters;

namespace ZeroBridge.Serialization.Formatters;

// The formatters of the scalar types msgpack has no native type for (docs/protocol.md §4). Each also reads the
// text forms a JSON-gateway client sends, since JSON has no datetime, uuid or decimal either.

/// <summary><see cref="DateTime"/> as ext 1; reads ext 1, ext -1 and ISO 8601 text.</summary>
internal sealed class DateTimeFormatter : IMessagePackFormatter<DateTime>
{
    public static readonly DateTimeFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, DateTime value, MessagePackSerializerOptions options) =>
        ExtensionValues.WriteDateTime(ref writer, value);

    public DateTime Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        DateTimeReading.Read(ref reader, "datetime").ToDateTime();
}

/// <summary><see cref="DateTimeOffset"/> as ext 1 with its offset.</summary>
internal sealed class DateTimeOffsetFormatter : IMessagePackFormatter<DateTimeOffset>
{
    public static readonly DateTimeOffsetFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, DateTimeOffset value, MessagePackSerializerOptions options) =>
        ExtensionValues.WriteDateTime(ref writer, value.Ticks, value.Offset);

    public DateTimeOffset Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        DateTimeReading.Read(ref reader, "datetime").ToDateTimeOffset();
}

/// <summary><see cref="DateOnly"/> as a naive ext 1 datetime at midnight.</summary>
internal sealed class DateOnlyFormatter : IMessagePackFormatter<DateOnly>
{
    public static readonly DateOnlyFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, DateOnly value, MessagePackSerializerOptions options) =>
        ExtensionValues.WriteDateTime(ref writer, value.ToDateTime(TimeOnly.MinValue).Ticks, null);

    public DateOnly Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        DateOnly.FromDateTime(new DateTime(DateTimeReading.Read(ref reader, "date").Ticks));
}

/// <summary><see cref="TimeSpan"/> as ext 2; reads ext 2 and <c>[-][d.]hh:mm:ss[.fffffff]</c> text.</summary>
internal sealed class TimeSpanFormatter : IMessagePackFormatter<TimeSpan>
{
    public static readonly TimeSpanFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, TimeSpan value, MessagePackSerializerOptions options) =>
        ExtensionValues.WriteTimeSpan(ref writer, value.Ticks);

    public TimeSpan Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.NextMessagePackType == MessagePackType.String)
        {
            string text = reader.ReadString()!;
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new MessagePackSerializationException($"'{text}' is not a timedelta ([-][d.]hh:mm:ss[.fffffff]).");
        }
        var (code, payload) = DateTimeReading.ReadExtension(ref reader, "timedelta");
        return code == ExtensionTypeCodes.TimeSpan
            ? new TimeSpan(ExtensionValues.DecodeTicks(payload))
            : throw new MessagePackSerializationException($"Expected timedelta, got ext type {code}.");
    }
}

/// <summary><see cref="TimeOnly"/> as ext 2: the time since midnight.</summary>
internal sealed class TimeOnlyFormatter : IMessagePackFormatter<TimeOnly>
{
    public static readonly TimeOnlyFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, TimeOnly value, MessagePackSerializerOptions options) =>
        ExtensionValues.WriteTimeSpan(ref writer, value.Ticks);

    public TimeOnly Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        TimeOnly.FromTimeSpan(TimeSpanFormatter.Instance.Deserialize(ref reader, options));
}

/// <summary><see cref="decimal"/> as ext 3 text, keeping its scale; reads numbers and numeric text too.</summary>
internal sealed class DecimalFormatter : IMessagePackFormatter<decimal>
{
    public static readonly DecimalFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, decimal value, MessagePackSerializerOptions options) =>
        ExtensionValues.WriteDecimal(ref writer, value);

    public decimal Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Integer:
                return reader.NextCode == MessagePackCode.UInt64 ? reader.ReadUInt64() : reader.ReadInt64();
            case MessagePackType.Float:
                return (decimal)reader.ReadDouble();
            case MessagePackType.String:
                string text = reader.ReadString()!;
                return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
                    ? parsed
                    : throw new MessagePackSerializationException($"'{text}' is not a decimal number.");
            default:
                var (code, payload) = DateTimeReading.ReadExtension(ref reader, "Decimal");
                return code == ExtensionTypeCodes.Decimal
                    ? ExtensionValues.DecodeDecimal(payload)
                    : throw new MessagePackSerializationException($"Expected Decimal, got ext type {code}.");
        }
    }
}

/// <summary><see cref="Guid"/> as ext 4; reads ext 4, 16-byte bin and text.</summary>
internal sealed class GuidFormatter : IMessagePackFormatter<Guid>
{
    public static readonly GuidFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, Guid value, MessagePackSerializerOptions options) =>
        ExtensionValues.WriteGuid(ref writer, value);

    public Guid Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.NextMessagePackType == MessagePackType.String)
        {
            string text = reader.ReadString()!;
            return Guid.TryParse(text, out var parsed)
                ? parsed
                : throw new MessagePackSerializationException($"'{text}' is not a UUID.");
        }
        var (code, payload) = DateTimeReading.ReadExtension(ref reader, "UUID");
        return code == ExtensionTypeCodes.Uuid
            ? ExtensionValues.DecodeGuid(payload)
            : throw new MessagePackSerializationException($"Expected UUID, got ext type {code}.");
    }
}

/// <summary><see cref="char"/> as a one-character str (the library default would send a number).</summary>
internal sealed class CharFormatter : IMessagePackFormatter<char>
{
    public static readonly CharFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, char value, MessagePackSerializerOptions options) =>
        writer.Write(value.ToString());

    public char Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.NextMessagePackType == MessagePackType.Integer)
            return checked((char)reader.ReadUInt16());
        string? text = reader.ReadString();
        return text is { Length: 1 }
            ? text[0]
            : throw new MessagePackSerializationException("Expected a str of exactly one character.");
    }
}

/// <summary>Reading helpers shared by the formatters above.</summary>
internal static class DateTimeReading
{
    /// <summary>Reads a datetime from ext 1, ext -1 or ISO 8601 text.</summary>
    public static ExtensionValues.WireDateTime Read(ref MessagePackReader reader, string expected)
    {
        if (reader.NextMessagePackType == MessagePackType.String)
            return ParseIso(reader.ReadString()!);
        var (code, payload) = ReadExtension(ref reader, expected);
        return code switch
        {
            ExtensionTypeCodes.DateTime => ExtensionValues.DecodeDateTime(payload),
            ExtensionTypeCodes.Timestamp => ExtensionValues.DecodeTimestamp(payload),
            _ => throw new MessagePackSerializationException($"Expected {expected}, got ext type {code}."),
        };
    }

    public static (sbyte Code, byte[] Payload) ReadExtension(ref MessagePackReader reader, string expected) =>
        reader.NextMessagePackType == MessagePackType.Extension
            ? ExtensionValues.ReadExtension(ref reader)
            : throw new MessagePackSerializationException($"Expected {expected}, got {WireTypeNames.Describe(reader.NextMessagePackType)}.");

    private static ExtensionValues.WireDateTime ParseIso(string text)
    {
        // Text with an offset or a 'Z' is aware; text without is naive, as in Python's datetime.fromisoformat.
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed))
        {
            if (parsed.Kind == DateTimeKind.Unspecified)
                return new ExtensionValues.WireDateTime(parsed.Ticks, null);
            var aware = DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
            return new ExtensionValues.WireDateTime(aware.Ticks, aware.Offset);
        }
        throw new MessagePackSerializationException($"'{text}' is not an ISO 8601 datetime.");
    }
}
