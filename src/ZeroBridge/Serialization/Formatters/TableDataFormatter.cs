using System.Buffers;
using MessagePack;
using MessagePack.Formatters;
using ZeroBridge.Serialization.Columnar;

namespace ZeroBridge.Serialization.Formatters;

/// <summary>
/// A <see cref="TableData"/> as ext 5: written in the "columns" layout (docs/protocol.md §10) when the message has
/// attachment frames, else in the "lists" layout (§4.2); both layouts are read.
/// </summary>
internal sealed class TableDataFormatter : IMessagePackFormatter<TableData?>
{
    public static readonly TableDataFormatter Instance = new();

    private const string Layout = "lists";

    public void Serialize(ref MessagePackWriter writer, TableData? value, MessagePackSerializerOptions options)
    {
        if (value is null)
            writer.WriteNil();
        else
            TableWriter.Write(ref writer, new TableDataSource(value), options);
    }

    /// <summary>Writes a whole table in the "lists" layout of protocol version 1.</summary>
    public static void WriteLists(ref MessagePackWriter writer, TableData value, MessagePackSerializerOptions options)
    {
        // The ext header states the payload's length, so the payload is written to its own buffer first.
        var buffer = new ArrayBufferWriter<byte>();
        var inner = writer.Clone(buffer);
        inner.WriteMapHeader(4);
        inner.Write("layout");
        inner.Write(Layout);
        inner.Write("rows");
        inner.Write(value.RowCount);
        inner.Write("columns");
        inner.WriteArrayHeader(value.Columns.Count);
        foreach (var column in value.Columns)
        {
            inner.WriteMapHeader(3);
            inner.Write("name");
            inner.Write(column.Name);
            inner.Write("type");
            inner.Write(column.Type);
            inner.Write("nullable");
            inner.Write(column.Nullable);
        }
        inner.Write("data");
        inner.WriteArrayHeader(value.Columns.Count);
        foreach (var column in value.Columns)
        {
            inner.WriteArrayHeader(column.Values.Count);
            foreach (var cell in column.Values)
                DynamicValueFormatter.Instance.Serialize(ref inner, cell, options);
        }
        inner.Flush();
        ExtensionValues.WriteExtension(ref writer, ExtensionTypeCodes.Table, buffer.WrittenSpan);
    }

    public TableData? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
            return null;
        var header = reader.ReadExtensionFormatHeader();
        if (header.TypeCode != ExtensionTypeCodes.Table)
            throw new MessagePackSerializationException($"Expected a table (ext 5), got ext type {header.TypeCode}.");
        var payload = reader.ReadRaw(header.Length);
        var chunked = (options as WireSerializerOptions)?.ChunkedTables;
        int index = -1;
        if (chunked is not null && chunked.Meet(out index, out var whole))
            return whole;
        var inner = new MessagePackReader(payload) { Depth = reader.Depth };
        options.Security.DepthStep(ref inner);
        if (LayoutOf(inner) == ColumnarWriter.Layout)
        {
            var chunk = ColumnarReader.Read(ref inner, options);
            if (chunk.More is not null)
            {
                if (chunked is null)
                    throw new MessagePackSerializationException(
                        "The table was sent in chunks; this reader takes whole tables only (raise the server's TableChunkBytes).");
                chunked.AddPending(index, chunk);
            }
            return chunk.Table;
        }

        string? layout = null;
        int rows = -1;
        var columns = new List<(string Name, string Type, bool Nullable)>();
        List<IReadOnlyList<object?>>? data = null;
        int entries = inner.ReadMapHeader();
        for (int i = 0; i < entries; i++)
        {
            switch (inner.ReadString())
            {
                case "layout":
                    layout = inner.ReadString();
                    break;
                case "rows":
                    rows = inner.ReadInt32();
                    break;
                case "columns":
                    int count = inner.ReadArrayHeader();
                    for (int c = 0; c < count; c++)
                        columns.Add(ReadColumnHeader(ref inner));
                    break;
                case "data":
                    int arrays = inner.ReadArrayHeader();
                    data = new List<IReadOnlyList<object?>>(arrays);
                    for (int c = 0; c < arrays; c++)
                    {
                        var values = (object?[]?)DynamicValueFormatter.Instance.Deserialize(ref inner, options)
                            ?? throw new MessagePackSerializationException("A table's column data is nil.");
                        data.Add(values);
                    }
                    break;
                default:
                    inner.Skip();
                    break;
            }
        }
        if (layout != Layout)
            throw new MessagePackSerializationException($"Table layout '{layout}' is not supported; expected '{Layout}'.");
        if (data is null || data.Count != columns.Count)
            throw new MessagePackSerializationException("A table needs one data array per column.");
        var table = new TableData(columns.Select((c, i) => new TableColumn(c.Name, c.Type, data[i], c.Nullable)));
        if (rows >= 0 && table.RowCount != rows && columns.Count > 0)
            throw new MessagePackSerializationException($"The table says {rows} rows but its columns hold {table.RowCount}.");
        return table;
    }

    /// <summary>Reads one chunk of a table in the "columns" layout (the result of <c>table.next</c>), with its cursor.</summary>
    public static ColumnarReader.Chunk ReadChunk(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var header = reader.ReadExtensionFormatHeader();
        if (header.TypeCode != ExtensionTypeCodes.Table)
            throw new MessagePackSerializationException($"Expected a table chunk (ext 5), got ext type {header.TypeCode}.");
        var inner = new MessagePackReader(reader.ReadRaw(header.Length)) { Depth = reader.Depth };
        options.Security.DepthStep(ref inner);
        if (LayoutOf(inner) != ColumnarWriter.Layout)
            throw new MessagePackSerializationException($"A table chunk must be in the '{ColumnarWriter.Layout}' layout.");
        return ColumnarReader.Read(ref inner, options);
    }

    /// <summary>The value of the map's "layout" key, read ahead without moving <paramref name="reader"/>.</summary>
    private static string? LayoutOf(MessagePackReader reader)
    {
        int entries = reader.ReadMapHeader();
        for (int i = 0; i < entries; i++)
        {
            if (reader.ReadString() == "layout")
                return reader.TryReadNil() ? null : reader.ReadString();
            reader.Skip();
        }
        return null;
    }

    private static (string Name, string Type, bool Nullable) ReadColumnHeader(ref MessagePackReader reader)
    {
        string? name = null, type = ColumnTypes.Object;
        bool nullable = true;
        int entries = reader.ReadMapHeader();
        for (int i = 0; i < entries; i++)
        {
            switch (reader.ReadString())
            {
                case "name": name = reader.ReadString(); break;
                case "type": type = reader.ReadString(); break;
                case "nullable": nullable = reader.ReadBoolean(); break;
                default: reader.Skip(); break;
            }
        }
        return (name ?? throw new MessagePackSerializationException("A table column has no name."), type ?? ColumnTypes.Object, nullable);
    }
}
