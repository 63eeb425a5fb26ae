using System.Buffers;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;
using ZeroBridge.Serialization.Columnar;

namespace ZeroBridge.Serialization.Formatters;

/// <summary>
/// A sequence of records as a table (ext 5), so Python receives a DataFrame. Reads a table back into the
/// collection by column name, and also a plain array of maps, so a list of dicts binds as well as a DataFrame.
/// </summary>
internal sealed class RecordSequenceFormatter<TCollection, TRecord> : IMessagePackFormatter<TCollection?>
    where TCollection : IEnumerable<TRecord>
{
    public void Serialize(ref MessagePackWriter writer, TCollection? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        TableWriter.Write(ref writer, new RecordSource(value, typeof(TRecord)), options);
    }

    public TCollection? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
            return default;
        if (reader.NextMessagePackType != MessagePackType.Extension)
            return ContractlessStandardResolver.Instance.GetFormatterWithVerify<TCollection>().Deserialize(ref reader, options);

        var table = TableDataFormatter.Instance.Deserialize(ref reader, options)!;
        var records = new List<TRecord>(table.RowCount);
        var recordFormatter = options.Resolver.GetFormatterWithVerify<TRecord>();
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var row in table.Rows())
        {
            // Each row goes through the record's own formatter, so a row binds exactly as a dict would.
            buffer.Clear();
            var writer = new MessagePackWriter(buffer);
            writer.WriteMapHeader(row.Count);
            foreach (var (name, cell) in row)
            {
                writer.Write(name);
                DynamicValueFormatter.Instance.Serialize(ref writer, cell, options);
            }
            writer.Flush();
            var rowReader = new MessagePackReader(buffer.WrittenMemory);
            records.Add(recordFormatter.Deserialize(ref rowReader, options));
        }
        return Materialize(records);
    }

    private static TCollection Materialize(List<TRecord> records)
    {
        if (records is TCollection list)
            return list;
        if (typeof(TCollection) == typeof(TRecord[]))
            return (TCollection)(object)records.ToArray();
        if (Activator.CreateInstance(typeof(TCollection)) is ICollection<TRecord> collection)
        {
            foreach (var record in records)
                collection.Add(record);
            return (TCollection)collection;
        }
        throw new MessagePackSerializationException($"Cannot build a {typeof(TCollection).Name} from a table.");
    }
}

/// <summary>
/// Any other <see cref="IEnumerable{T}"/> whose type the serializer cannot see into (LINQ and iterator
/// results are private classes) as a msgpack array. Write-only: parameters are declared with public types.
/// </summary>
internal sealed class EnumerableFormatter<TCollection, TElement> : IMessagePackFormatter<TCollection?>
    where TCollection : IEnumerable<TElement>
{
    public void Serialize(ref MessagePackWriter writer, TCollection? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        var items = value.ToList();
        var formatter = options.Resolver.GetFormatterWithVerify<TElement>();
        writer.WriteArrayHeader(items.Count);
        foreach (var item in items)
            formatter.Serialize(ref writer, item, options);
    }

    public TCollection? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        throw new MessagePackSerializationException($"{typeof(TCollection).Name} can be sent but not received.");
}
