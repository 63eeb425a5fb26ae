using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using MessagePack;
using ZeroBridge.Serialization.Formatters;

namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// Writes a table (or one chunk of it) in the "columns" layout (docs/protocol.md §10): a msgpack header in the ext 5
/// payload and one attachment frame per column buffer, little-endian, laid out as numpy reads them.
/// </summary>
internal static class ColumnarWriter
{
    public const string Layout = "columns";

    private const long UnixEpochTicks = 621_355_968_000_000_000;
    private const long NaT = long.MinValue;

    static ColumnarWriter()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("The columnar table layout is written on little-endian machines only.");
    }

    /// <summary>Whether a DateTime column holds UTC or local times, and so travels time-zone aware.</summary>
    public static bool HasAwareValues(TableColumn column)
    {
        if (column.Data is not DateTime[])
            return false;
        var values = column.GetValues<DateTime>();
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i].Kind != DateTimeKind.Unspecified && !column.IsNull(i))
                return true;
        }
        return false;
    }

    /// <summary>The column types a table travels with; a chunked table keeps its first chunk's.</summary>
    public static string[] WireTypes(TableData table) => table.Columns
        .Select(c => c.Type == ColumnTypes.DateTime && HasAwareValues(c) ? ColumnTypes.DateTimeTz : c.Type)
        .ToArray();

    /// <summary>Writes the ext 5 value of one chunk.</summary>
    /// <param name="writer">Where the ext goes.</param>
    /// <param name="chunk">The rows.</param>
    /// <param name="wireTypes">The column types (from <see cref="WireTypes"/> of the first chunk).</param>
    /// <param name="more">The cursor that fetches the next chunk, or null for the last one.</param>
    /// <param name="total">The whole table's row count when known, written when the table is chunked.</param>
    /// <param name="attachments">The message's attachment frames.</param>
    /// <param name="options">For the values of object columns.</param>
    public static void Write(ref MessagePackWriter writer, TableData chunk, string[] wireTypes, string? more, long? total,
        List<ReadOnlyMemory<byte>> attachments, MessagePackSerializerOptions options)
    {
        if (wireTypes.Length != chunk.Columns.Count)
            throw new MessagePackSerializationException("A table chunk has a different number of columns than the table.");
        var buffer = new ArrayBufferWriter<byte>(256 + 64 * chunk.Columns.Count);
        var inner = writer.Clone(buffer);
        bool chunked = more is not null || total is not null;
        inner.WriteMapHeader(3 + (more is null ? 0 : 1) + (chunked && total is not null ? 1 : 0));
        inner.Write("layout");
        inner.Write(Layout);
        inner.Write("rows");
        inner.Write(chunk.RowCount);
        if (more is not null)
        {
            inner.Write("more");
            inner.Write(more);
        }
        if (chunked && total is not null)
        {
            inner.Write("total");
            inner.Write(total.Value);
        }
        inner.Write("columns");
        inner.WriteArrayHeader(chunk.Columns.Count);
        var encoded = new Encoded[chunk.Columns.Count];
        if (chunk.RowCount >= ParallelRows && encoded.Length > 1)
        {
            try
            {
                Parallel.For(0, encoded.Length, c => encoded[c] = Encode(chunk.Columns[c], wireTypes[c], options));
            }
            catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
            }
        }
        else
            for (int c = 0; c < encoded.Length; c++)
                encoded[c] = Encode(chunk.Columns[c], wireTypes[c], options);
        for (int c = 0; c < chunk.Columns.Count; c++)
            WriteColumn(ref inner, chunk.Columns[c], encoded[c], attachments, options);
        inner.Flush();
        ExtensionValues.WriteExtension(ref writer, ExtensionTypeCodes.Table, buffer.WrittenSpan);
    }

    /// <summary>Chunks with at least this many rows encode their columns in parallel (one task per column).</summary>
    private const int ParallelRows = 100_000;

    /// <summary>One column's wire buffers, made before the header is written (possibly on another thread).</summary>
    private sealed record Encoded(string Type, List<(string Key, object Value)> Entries, ReadOnlyMemory<byte> Data,
        byte[]? Offsets, byte[]? Indices, byte[]? Mask, object?[]? Inline);

    private static Encoded Encode(TableColumn column, string type, MessagePackSerializerOptions options)
    {
        var entries = new List<(string Key, object Value)>();
        byte[]? offsets = null;
        byte[]? indices = null;
        ReadOnlyMemory<byte> data = default;
        object?[]? inline = null;
        switch (type)
        {
            case ColumnTypes.Bool: data = Fixed<bool>(column); break;
            case ColumnTypes.Int8: data = Fixed<sbyte>(column); break;
            case ColumnTypes.Int16: data = Fixed<short>(column); break;
            case ColumnTypes.Int32: data = Fixed<int>(column); break;
            case ColumnTypes.Int64: data = Fixed<long>(column); break;
            case ColumnTypes.UInt8: data = Fixed<byte>(column); break;
            case ColumnTypes.UInt16: data = Fixed<ushort>(column); break;
            case ColumnTypes.UInt32: data = Fixed<uint>(column); break;
            case ColumnTypes.UInt64: data = Fixed<ulong>(column); break;
            case ColumnTypes.Float32:
                var singles = Fixed<float>(column);
                FillNulls(column, MemoryMarshal.Cast<byte, float>(singles.AsSpan()), float.NaN);
                data = singles;
                break;
            case ColumnTypes.Float64:
                var doubles = Fixed<double>(column);
                FillNulls(column, MemoryMarshal.Cast<byte, double>(doubles.AsSpan()), double.NaN);
                data = doubles;
                break;
            case ColumnTypes.Decimal:
                (offsets, data) = Strings(column.Name, Decimals(column));
                break;
            case ColumnTypes.String:
                var texts = column.GetValues<string?>();
                if (options is WireSerializerOptions { DictionaryStrings: true } && TryDictionary(texts, out var codes, out var distinct))
                    (indices, (offsets, data)) = (codes, Strings(column.Name, CollectionsMarshal.AsSpan(distinct)));
                else
                    (offsets, data) = Strings(column.Name, texts);
                break;
            case ColumnTypes.Bytes:
                (offsets, data) = Binaries(column);
                break;
            case ColumnTypes.Category:
                List<string> categories;
                (data, categories) = Categories(column);
                entries.Add(("categories", categories));
                break;
            case ColumnTypes.DateTime:
            case ColumnTypes.DateTimeTz:
            case ColumnTypes.TimeSpan:
                var (nanoseconds, unit, tz) = Times(column, type);
                data = nanoseconds;
                entries.Add(("unit", unit));
                if (type == ColumnTypes.DateTimeTz)
                    entries.Add(("tz", tz));
                break;
            case ColumnTypes.Uuid:
                data = Uuids(column);
                break;
            default:
                type = ColumnTypes.Object;
                inline = column.Values.ToArray();
                break;
        }
        byte[]? mask = column.NullCount > 0 && inline is null ? MemoryMarshal.AsBytes(column.GetNullMask()).ToArray() : null;
        return new Encoded(type, entries, data, offsets, indices, mask, inline);
    }

    private static void WriteColumn(ref MessagePackWriter writer, TableColumn column, Encoded encoded,
        List<ReadOnlyMemory<byte>> attachments, MessagePackSerializerOptions options)
    {
        var (type, entries, data, offsets, indices, mask, inline) = encoded;
        writer.WriteMapHeader(5 + entries.Count + (mask is null ? 0 : 1) + (offsets is null ? 0 : 1) + (indices is null ? 0 : 1));
        writer.Write("name");
        writer.Write(column.Name);
        writer.Write("type");
        writer.Write(type);
        writer.Write("nullable");
        writer.Write(column.Nullable || column.NullCount > 0);
        writer.Write("nulls");
        writer.Write(column.NullCount);
        if (inline is not null)
        {
            writer.Write("values");
            writer.WriteArrayHeader(inline.Length);
            foreach (var value in inline)
                DynamicValueFormatter.Instance.Serialize(ref writer, value, options);
        }
        else
        {
            writer.Write("data");
            Attach(ref writer, data, attachments);
        }
        if (offsets is not null)
        {
            writer.Write("offsets");
            Attach(ref writer, offsets, attachments);
        }
        if (indices is not null)
        {
            writer.Write("indices");
            Attach(ref writer, indices, attachments);
        }
        if (mask is not null)
        {
            writer.Write("mask");
            Attach(ref writer, mask, attachments);
        }
        foreach (var (key, value) in entries)
        {
            writer.Write(key);
            switch (value)
            {
                case string text: writer.Write(text); break;
                case int number: writer.Write(number); break;
                case List<string> names:
                    writer.WriteArrayHeader(names.Count);
                    foreach (var name in names)
                        writer.Write(name);
                    break;
            }
        }
    }

    private static void Attach(ref MessagePackWriter writer, ReadOnlyMemory<byte> frame, List<ReadOnlyMemory<byte>> attachments)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)attachments.Count);
        attachments.Add(frame);
        ExtensionValues.WriteExtension(ref writer, ExtensionTypeCodes.Attachment, payload);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // run a few times per table, on millions of rows
    private static byte[] Fixed<T>(TableColumn column) where T : unmanaged
    {
        var values = MemoryMarshal.AsBytes(column.GetValues<T>());
        var data = GC.AllocateUninitializedArray<byte>(values.Length);
        values.CopyTo(data);
        return data;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // run a few times per table, on millions of rows
    private static void FillNulls<T>(TableColumn column, Span<T> values, T missing)
    {
        if (column.NullCount == 0)
            return;
        var nulls = column.GetNullMask();
        for (int i = 0; i < values.Length; i++)
        {
            if (nulls[i])
                values[i] = missing;
        }
    }

    /// <summary>Decimals as their exact invariant text (scale kept), as ext 3 carries them.</summary>
    private static string?[] Decimals(TableColumn column)
    {
        var values = column.GetValues<decimal>();
        var texts = new string?[values.Length];
        for (int i = 0; i < values.Length; i++)
            texts[i] = column.NullCount > 0 && column.IsNull(i) ? null : values[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return texts;
    }

    /// <summary>
    /// A string column as its distinct values and an int32 index per row (-1 = null), when that pays: the chunk has
    /// at least <see cref="DictionaryMinRows"/> rows and at most half of them are distinct. Checked as it goes, at
    /// every power of two rows from 4096 on, so a column of mostly unique strings gives up early.
    /// </summary>
    /// <remarks>
    /// Repeated values of in-memory data are usually the same string object (a name read once and shared by many
    /// records), so a small table keyed by object identity answers most rows without hashing the characters:
    /// 1M rows of 1,000 shared names take about half the time (median 12–17 ms instead of 24–25 ms on the dev VM).
    /// Strings that are equal but distinct objects (one per row, as data readers make them) miss it; it is dropped
    /// when it misses more than it hits.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // run a few times per table, on millions of rows
    internal static bool TryDictionary(ReadOnlySpan<string?> values, [NotNullWhen(true)] out byte[]? indices, out List<string> distinct)
    {
        indices = null;
        distinct = [];
        if (values.Length < DictionaryMinRows)
            return false;
        var data = GC.AllocateUninitializedArray<byte>(values.Length * sizeof(int));
        var codes = MemoryMarshal.Cast<byte, int>(data.AsSpan());
        var index = new Dictionary<string, int>();
        var seen = new (string? Value, int Code)[IdentityCacheSize];
        bool useIdentity = true;
        int hits = 0, nextCheck = 4096, limit = values.Length / 2;
        for (int i = 0; i < values.Length; i++)
        {
            var value = values[i];
            if (value is null)
            {
                codes[i] = -1;
                continue;
            }
            ref var cached = ref seen[0];
            if (useIdentity)
            {
                cached = ref seen[RuntimeHelpers.GetHashCode(value) & (IdentityCacheSize - 1)];
                if (ReferenceEquals(cached.Value, value))
                {
                    codes[i] = cached.Code;
                    hits++;
                    goto next;
                }
            }
            ref int slot = ref CollectionsMarshal.GetValueRefOrAddDefault(index, value, out bool exists);
            if (!exists)
            {
                slot = distinct.Count;
                distinct.Add(value);
                if (distinct.Count > limit)
                    return false;
            }
            codes[i] = slot;
            if (useIdentity)
                cached = (value, slot);
            next:
            if (i + 1 == nextCheck)
            {
                if (distinct.Count * 2 > nextCheck)
                    return false;
                useIdentity &= hits * 2 >= nextCheck;
                nextCheck *= 2;
            }
        }
        indices = data;
        return true;
    }

    /// <summary>Slots of the identity table of <see cref="TryDictionary"/> (a power of two).</summary>
    private const int IdentityCacheSize = 4096;

    /// <summary>Fewer rows than this never travel dictionary-encoded.</summary>
    internal const int DictionaryMinRows = 64;

    /// <summary>
    /// UTF-8 of all cells and their int32 end offsets, encoded in one pass into a buffer sized by the character
    /// count (exact for ASCII; grown when a cell needs more). The data frame is a prefix of that buffer: no copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // run a few times per table, on millions of rows
    private static (byte[] Offsets, ReadOnlyMemory<byte> Data) Strings(string name, ReadOnlySpan<string?> values)
    {
        var offsets = new byte[(values.Length + 1) * sizeof(int)];
        var ends = MemoryMarshal.Cast<byte, int>(offsets.AsSpan());
        long chars = 0;
        foreach (var value in values)
            chars += value?.Length ?? 0;
        var data = GC.AllocateUninitializedArray<byte>((int)Math.Min(chars, Array.MaxLength));
        int written = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] is { Length: > 0 } text)
            {
                int count;
                while (!Encoding.UTF8.TryGetBytes(text, data.AsSpan(written), out count))
                {
                    long needed = written + (long)Encoding.UTF8.GetByteCount(text);
                    if (needed > Array.MaxLength)
                        throw new MessagePackSerializationException(
                            $"String column '{name}' holds over 2 GiB of text in one chunk; lower the table chunk size.");
                    Array.Resize(ref data, (int)Math.Min(Math.Max(needed, data.Length + (long)data.Length / 2 + 16), Array.MaxLength));
                }
                written += count;
            }
            ends[i + 1] = written;
        }
        return (offsets, data.AsMemory(0, written));
    }

    private static (byte[] Offsets, byte[] Data) Binaries(TableColumn column)
    {
        var values = column.GetValues<byte[]?>();
        var offsets = new byte[(values.Length + 1) * sizeof(int)];
        var ends = MemoryMarshal.Cast<byte, int>(offsets.AsSpan());
        long total = 0;
        for (int i = 0; i < values.Length; i++)
        {
            total += values[i]?.Length ?? 0;
            if (total > int.MaxValue)
                throw new MessagePackSerializationException(
                    $"Bytes column '{column.Name}' holds over 2 GiB in one chunk; lower the table chunk size.");
            ends[i + 1] = (int)total;
        }
        var data = new byte[total];
        for (int i = 0; i < values.Length; i++)
            values[i]?.CopyTo(data, ends[i]);
        return (offsets, data);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // run a few times per table, on millions of rows
    private static (byte[] Codes, List<string> Categories) Categories(TableColumn column)
    {
        var values = column.GetValues<string?>();
        var data = new byte[values.Length * sizeof(int)];
        var codes = MemoryMarshal.Cast<byte, int>(data.AsSpan());
        var categories = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] is not { } name)
            {
                codes[i] = -1;
                continue;
            }
            if (!index.TryGetValue(name, out int code))
            {
                code = index[name] = categories.Count;
                categories.Add(name);
            }
            codes[i] = code;
        }
        return (data, categories);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // run a few times per table, on millions of rows
    private static byte[] Uuids(TableColumn column)
    {
        var values = column.GetValues<Guid>();
        var data = new byte[values.Length * 16];
        for (int i = 0; i < values.Length; i++)
            values[i].TryWriteBytes(data.AsSpan(i * 16, 16), bigEndian: true, out _);
        return data;
    }

    /// <summary>
    /// Times as int64 nanoseconds (since 1970-01-01 for datetimes, UTC for aware ones), NaT for nulls. A column with
    /// a value outside nanoseconds' range (years 1677–2262, or ±292 years of duration) goes in microseconds instead.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // run a few times per table, on millions of rows
    private static (byte[] Data, string Unit, int Tz) Times(TableColumn column, string type)
    {
        int length = column.Length;
        // Ticks first, converted in place below: the frame is the only buffer allocated.
        var data = GC.AllocateUninitializedArray<byte>(length * sizeof(long));
        var ticks = MemoryMarshal.Cast<byte, long>(data.AsSpan());
        int tz = 0;
        switch (column.Data)
        {
            case DateTime[]:
                var dates = column.GetValues<DateTime>();
                bool aware = type == ColumnTypes.DateTimeTz;
                for (int i = 0; i < length; i++)
                {
                    var value = dates[i];
                    ticks[i] = !aware || value.Kind != DateTimeKind.Local ? value.Ticks : value.ToUniversalTime().Ticks;
                }
                break;
            case DateTimeOffset[]:
                var offsets = column.GetValues<DateTimeOffset>();
                bool first = true, same = true;
                for (int i = 0; i < length; i++)
                {
                    ticks[i] = type == ColumnTypes.DateTimeTz ? offsets[i].UtcTicks : offsets[i].Ticks;
                    if (column.NullCount > 0 && column.IsNull(i))
                        continue;
                    int minutes = (int)offsets[i].Offset.TotalMinutes;
                    same &= first || minutes == tz;
                    tz = first ? minutes : tz;
                    first = false;
                }
                if (!same)
                    tz = 0;
                break;
            case TimeSpan[]:
                var spans = column.GetValues<TimeSpan>();
                for (int i = 0; i < length; i++)
                    ticks[i] = spans[i].Ticks;
                break;
            default:
                throw new MessagePackSerializationException($"Column '{column.Name}' of type {type} holds {column.ElementType.Name} values.");
        }

        long origin = column.Data is TimeSpan[] ? 0 : UnixEpochTicks;
        const long limit = long.MaxValue / 100;
        bool nanos = true;
        var nulls = column.GetNullMask();
        for (int i = 0; i < length; i++)
        {
            long relative = ticks[i] - origin;
            if ((relative > limit || relative < -limit) && (nulls.IsEmpty || !nulls[i]))
            {
                nanos = false;
                break;
            }
        }
        for (int i = 0; i < length; i++)
        {
            long relative = ticks[i] - origin;
            ticks[i] = !nulls.IsEmpty && nulls[i] ? NaT
                : nanos ? relative * 100
                : relative / 10;
        }
        return (data, nanos ? "ns" : "us", tz);
    }
}
