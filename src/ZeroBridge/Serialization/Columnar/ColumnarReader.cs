using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using MessagePack;
using ZeroBridge.Serialization.Formatters;

namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// Reads a table in the "columns" layout (docs/protocol.md §10) into typed columns. Every buffer is checked
/// against the row count before use: a peer's lengths and offsets are never trusted.
/// </summary>
internal static class ColumnarReader
{
    private const long UnixEpochTicks = 621_355_968_000_000_000;

    /// <summary>What the ext 5 map of one chunk says besides its columns.</summary>
    public readonly record struct Chunk(TableData Table, string? More, long? Total);

    /// <summary>Reads the ext 5 payload map (positioned at the map header).</summary>
    public static Chunk Read(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        int rows = -1;
        string? more = null;
        long? total = null;
        var columns = new List<TableColumn>();
        int entries = reader.ReadMapHeader();
        // rows may follow columns in a peer's map: read columns as raw msgpack first, decode once rows is known.
        ReadOnlySequence? rawColumns = null;
        for (int i = 0; i < entries; i++)
        {
            switch (reader.ReadString())
            {
                case "rows": rows = reader.ReadInt32(); break;
                case "more": more = reader.TryReadNil() ? null : reader.ReadString(); break;
                case "total": total = reader.TryReadNil() ? null : reader.ReadInt64(); break;
                case "columns": rawColumns = new ReadOnlySequence(reader.ReadRaw()); break;
                default: reader.Skip(); break;
            }
        }
        if (rows < 0)
            throw new MessagePackSerializationException("A columnar table has no 'rows'.");
        if (rawColumns is { } raw)
        {
            var inner = new MessagePackReader(raw.Value) { Depth = reader.Depth };
            int count = inner.ReadArrayHeader();
            for (int c = 0; c < count; c++)
                columns.Add(ReadColumn(ref inner, rows, options));
        }
        return new Chunk(new TableData(columns), more, total);
    }

    private readonly record struct ReadOnlySequence(System.Buffers.ReadOnlySequence<byte> Value);

    private static TableColumn ReadColumn(ref MessagePackReader reader, int rows, MessagePackSerializerOptions options)
    {
        string? name = null, type = null;
        string unit = "ns";
        bool nullable = false;
        int tz = 0;
        ReadOnlyMemory<byte>? data = null, offsets = null, mask = null, indices = null;
        object?[]? values = null;
        List<string>? categories = null;
        int entries = reader.ReadMapHeader();
        for (int i = 0; i < entries; i++)
        {
            switch (reader.ReadString())
            {
                case "name": name = reader.ReadString(); break;
                case "type": type = reader.ReadString(); break;
                case "nullable": nullable = reader.ReadBoolean(); break;
                case "unit": unit = reader.ReadString() ?? "ns"; break;
                case "tz": tz = reader.ReadInt32(); break;
                case "data": data = ExtensionValues.ReadBytes(ref reader, options); break;
                case "offsets": offsets = ExtensionValues.ReadBytes(ref reader, options); break;
                case "indices": indices = ExtensionValues.ReadBytes(ref reader, options); break;
                case "mask": mask = reader.TryReadNil() ? null : ExtensionValues.ReadBytes(ref reader, options); break;
                case "values":
                    values = DynamicValueFormatter.Instance.Deserialize(ref reader, options) as object?[]
                             ?? throw new MessagePackSerializationException("A column's 'values' is not an array.");
                    break;
                case "categories":
                    int count = reader.ReadArrayHeader();
                    categories = new List<string>(count);
                    for (int c = 0; c < count; c++)
                        categories.Add(reader.ReadString() ?? throw new MessagePackSerializationException("A category is nil."));
                    break;
                default: reader.Skip(); break;
            }
        }
        if (name is null || type is null)
            throw new MessagePackSerializationException("A table column needs a 'name' and a 'type'.");
        var nulls = mask is { } m ? Mask(m.Span, rows, name) : null;
        if (type == ColumnTypes.Object || values is not null)
        {
            if (values is null || values.Length != rows)
                throw new MessagePackSerializationException($"Column '{name}' needs {rows} 'values'.");
            try
            {
                return new TableColumn(name, type, values, nullable); // inline values keep their declared type
            }
            catch (ArgumentException ex)
            {
                throw new MessagePackSerializationException($"Column '{name}': {ex.Message}", ex);
            }
        }
        var bytes = (data ?? throw new MessagePackSerializationException($"Column '{name}' has no 'data' buffer.")).Span;
        Array storage = type switch
        {
            ColumnTypes.Bool => Bools(bytes, rows, name),
            ColumnTypes.Int8 => Fixed<sbyte>(bytes, rows, name),
            ColumnTypes.Int16 => Fixed<short>(bytes, rows, name),
            ColumnTypes.Int32 => Fixed<int>(bytes, rows, name),
            ColumnTypes.Int64 => Fixed<long>(bytes, rows, name),
            ColumnTypes.UInt8 => Fixed<byte>(bytes, rows, name),
            ColumnTypes.UInt16 => Fixed<ushort>(bytes, rows, name),
            ColumnTypes.UInt32 => Fixed<uint>(bytes, rows, name),
            ColumnTypes.UInt64 => Fixed<ulong>(bytes, rows, name),
            ColumnTypes.Float32 => Fixed<float>(bytes, rows, name),
            ColumnTypes.Float64 => Fixed<double>(bytes, rows, name),
            ColumnTypes.Decimal => Decimals(Variable(bytes, offsets, rows, name, (span) => Encoding.UTF8.GetString(span), nulls), ref nulls, name),
            ColumnTypes.String when indices is { } codes => Dictionary(bytes, offsets, Fixed<int>(codes.Span, rows, name), name),
            ColumnTypes.String => Variable(bytes, offsets, rows, name, (span) => Encoding.UTF8.GetString(span), nulls),
            ColumnTypes.Bytes => Variable(bytes, offsets, rows, name, (span) => span.ToArray(), nulls),
            ColumnTypes.Category => Categories(Fixed<int>(bytes, rows, name), categories, name),
            ColumnTypes.DateTime or ColumnTypes.DateTimeTz or ColumnTypes.TimeSpan => Times(Fixed<long>(bytes, rows, name), type, unit, tz, ref nulls, name),
            ColumnTypes.Uuid => Uuids(bytes, rows, name),
            _ => throw new MessagePackSerializationException($"Column '{name}' has the unknown type '{type}'."),
        };
        if (!storage.GetType().GetElementType()!.IsValueType)
            nulls = null; // reference columns hold null itself
        return new TableColumn(name, type, storage, nulls, nullable, 0, rows);
    }

    private static T[] Fixed<T>(ReadOnlySpan<byte> bytes, int rows, string name) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        if (bytes.Length != (long)rows * size)
            throw new MessagePackSerializationException($"Column '{name}' has {bytes.Length} bytes of data; {rows} rows of {typeof(T).Name} need {(long)rows * size}.");
        return MemoryMarshal.Cast<byte, T>(bytes).ToArray();
    }

    private static bool[] Bools(ReadOnlySpan<byte> bytes, int rows, string name)
    {
        if (bytes.Length != rows)
            throw new MessagePackSerializationException($"Column '{name}' has {bytes.Length} bytes; {rows} bools need {rows}.");
        var values = new bool[rows];
        for (int i = 0; i < rows; i++)
            values[i] = bytes[i] != 0;
        return values;
    }

    private static bool[] Mask(ReadOnlySpan<byte> bytes, int rows, string name) => bytes.Length == rows
        ? Bools(bytes, rows, name)
        : throw new MessagePackSerializationException($"Column '{name}' has a null mask of {bytes.Length} bytes for {rows} rows.");

    private static decimal[] Decimals(string?[] texts, ref bool[]? nulls, string name)
    {
        var values = new decimal[texts.Length];
        for (int i = 0; i < texts.Length; i++)
        {
            if (texts[i] is not { } text)
            {
                (nulls ??= new bool[texts.Length])[i] = true;
                continue;
            }
            if (!decimal.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i]))
                throw new MessagePackSerializationException($"Column '{name}' holds '{text}', which is not a decimal number.");
        }
        return values;
    }

    private delegate T Decode<T>(ReadOnlySpan<byte> bytes);

    private static T?[] Variable<T>(ReadOnlySpan<byte> data, ReadOnlyMemory<byte>? offsetFrame, int rows, string name,
        Decode<T> decode, bool[]? nulls) where T : class
    {
        var ends = Fixed<int>((offsetFrame ?? throw new MessagePackSerializationException($"Column '{name}' has no 'offsets' buffer.")).Span, rows + 1, name);
        if (ends[0] != 0 || ends[rows] != data.Length)
            throw new MessagePackSerializationException($"Column '{name}': offsets must run from 0 to the data's {data.Length} bytes.");
        var values = new T?[rows];
        for (int i = 0; i < rows; i++)
        {
            int start = ends[i], end = ends[i + 1];
            if (end < start)
                throw new MessagePackSerializationException($"Column '{name}': offsets decrease at row {i}.");
            if (nulls is null || !nulls[i])
                values[i] = decode(data[start..end]);
        }
        return values;
    }

    /// <summary>A dictionary-encoded string column (§10.4): the distinct strings, and an index per row (-1 = null).</summary>
    private static string?[] Dictionary(ReadOnlySpan<byte> data, ReadOnlyMemory<byte>? offsetFrame, int[] codes, string name)
    {
        int size = offsetFrame is { Length: >= sizeof(int) } frame && frame.Length % sizeof(int) == 0
            ? frame.Length / sizeof(int) - 1
            : throw new MessagePackSerializationException($"Column '{name}' has no valid 'offsets' buffer for its dictionary.");
        var distinct = Variable(data, offsetFrame, size, name, (span) => Encoding.UTF8.GetString(span), null);
        var values = new string?[codes.Length];
        for (int i = 0; i < codes.Length; i++)
        {
            int code = codes[i];
            if (code == -1)
                continue;
            if ((uint)code >= (uint)size)
                throw new MessagePackSerializationException($"Column '{name}' has dictionary index {code}, but only {size} distinct strings.");
            values[i] = distinct[code];
        }
        return values;
    }

    private static string?[] Categories(int[] codes, List<string>? categories, string name)
    {
        categories ??= [];
        var values = new string?[codes.Length];
        for (int i = 0; i < codes.Length; i++)
        {
            int code = codes[i];
            if (code == -1)
                continue;
            if ((uint)code >= (uint)categories.Count)
                throw new MessagePackSerializationException($"Column '{name}' has category code {code}, but only {categories.Count} categories.");
            values[i] = categories[code];
        }
        return values;
    }

    private static Array Times(long[] raw, string type, string unit, int tz, ref bool[]? nulls, string name)
    {
        bool nanoseconds = unit switch
        {
            "ns" => true,
            "us" => false,
            _ => throw new MessagePackSerializationException($"Column '{name}' has the unknown time unit '{unit}'."),
        };
        long origin = type == ColumnTypes.TimeSpan ? 0 : UnixEpochTicks;
        var offset = TimeSpan.FromMinutes(tz);
        Array values = type switch
        {
            ColumnTypes.DateTime => new DateTime[raw.Length],
            ColumnTypes.DateTimeTz => new DateTimeOffset[raw.Length],
            _ => new TimeSpan[raw.Length],
        };
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] == long.MinValue || (nulls is not null && nulls[i]))
            {
                (nulls ??= new bool[raw.Length])[i] = true;
                continue;
            }
            long ticks;
            try
            {
                ticks = checked((nanoseconds ? raw[i] / 100 : raw[i] * 10) + origin);
                switch (values)
                {
                    case DateTime[] dates: dates[i] = new DateTime(ticks, DateTimeKind.Unspecified); break;
                    case DateTimeOffset[] offsets: offsets[i] = new DateTimeOffset(ticks, TimeSpan.Zero).ToOffset(offset); break;
                    case TimeSpan[] spans: spans[i] = new TimeSpan(ticks); break;
                }
            }
            catch (Exception ex) when (ex is ArgumentOutOfRangeException or OverflowException)
            {
                throw new MessagePackSerializationException($"Column '{name}' holds a time outside .NET's range at row {i}.");
            }
        }
        return values;
    }

    private static Guid[] Uuids(ReadOnlySpan<byte> bytes, int rows, string name)
    {
        if (bytes.Length != (long)rows * 16)
            throw new MessagePackSerializationException($"Column '{name}' has {bytes.Length} bytes; {rows} uuids need {rows * 16L}.");
        var values = new Guid[rows];
        for (int i = 0; i < rows; i++)
            values[i] = new Guid(bytes.Slice(i * 16, 16), bigEndian: true);
        return values;
    }
}
