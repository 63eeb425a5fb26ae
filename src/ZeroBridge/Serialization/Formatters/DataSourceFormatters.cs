using System.Data;
using MessagePack;
using MessagePack.Formatters;
using ZeroBridge.Serialization.Columnar;

namespace ZeroBridge.Serialization.Formatters;

/// <summary>
/// A data reader (a SQL query's open result) streamed as a table, chunk by chunk; the reader is disposed once
/// read to its end (or when its cursor closes). Return it from a command with its connection set to close with it
/// (<see cref="CommandBehavior.CloseConnection"/>). Write-only.
/// </summary>
internal sealed class DataReaderFormatter<TReader> : IMessagePackFormatter<TReader?> where TReader : IDataReader
{
    public void Serialize(ref MessagePackWriter writer, TReader? value, MessagePackSerializerOptions options)
    {
        if (value is null)
            writer.WriteNil();
        else
            TableWriter.Write(ref writer, new DataReaderSource(value, ownsReader: true), options);
    }

    public TReader? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        throw new MessagePackSerializationException("A data reader can be sent but not received; take a TableData parameter.");
}

/// <summary>A <see cref="DataTable"/> as a table, typed by its columns' data types. Write-only.</summary>
internal sealed class DataTableFormatter<TTable> : IMessagePackFormatter<TTable?> where TTable : DataTable
{
    public void Serialize(ref MessagePackWriter writer, TTable? value, MessagePackSerializerOptions options)
    {
        if (value is null)
            writer.WriteNil();
        else
            TableWriter.Write(ref writer, new DataReaderSource(value.CreateDataReader(), ownsReader: true), options);
    }

    public TTable? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        throw new MessagePackSerializationException("A DataTable can be sent but not received; take a TableData parameter.");
}

/// <summary>The next chunk of a table being sent in chunks (the result of the built-in <c>table.next</c>).</summary>
internal sealed class TableContinuationFormatter : IMessagePackFormatter<TableContinuation?>
{
    public static readonly TableContinuationFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, TableContinuation? value, MessagePackSerializerOptions options)
    {
        if (value is null)
            writer.WriteNil();
        else
            TableWriter.WriteNext(ref writer, value, options);
    }

    public TableContinuation? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        throw new MessagePackSerializationException("A table chunk is read as a table.");
}
