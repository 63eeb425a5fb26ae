using System.Data;

namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// Where a table's rows come from, read a chunk (row group) at a time so that a large table never has to be
/// held whole: an in-memory <see cref="TableData"/>, a sequence of records, or a data reader.
/// </summary>
internal abstract class TableSource : IDisposable
{
    /// <summary>How many rows pass between checks of a chunk's size.</summary>
    protected const int CheckEvery = 1024;

    /// <summary>Whether every row has been read.</summary>
    public bool Finished { get; protected set; }

    /// <summary>The number of rows of the whole table when known in advance (collections), else null.</summary>
    public long? TotalRows { get; protected init; }

    /// <summary>The next chunk: rows until their wire size reaches <paramref name="maxBytes"/> (at least one row).</summary>
    public abstract TableData Next(long maxBytes);

    /// <summary>Every remaining row as one table.</summary>
    public TableData ReadAll() => Next(long.MaxValue);

    /// <summary>
    /// The chunks returned so far have been written and are no longer referred to: their storage may be reused by
    /// the next chunk. Never called for chunks that leave the library.
    /// </summary>
    public virtual void Recycle() { }

    public virtual void Dispose() { }

    public static TableSource For(object value) => value switch
    {
        TableData table => new TableDataSource(table),
        IDataReader reader => new DataReaderSource(reader, ownsReader: true),
        DataTable table => new DataReaderSource(table.CreateDataReader(), ownsReader: true),
        _ => throw new ArgumentException($"A {value.GetType().Name} is not a table.", nameof(value)),
    };

    protected static TableData Take(ColumnBuilder[] builders) => new(builders.Select(b => b.Take()));

    protected static void Recycle(IEnumerable<ColumnBuilder> builders)
    {
        foreach (var builder in builders)
            builder.ReturnLent();
    }

    protected static long Bytes(ColumnBuilder[] builders)
    {
        long total = 0;
        foreach (var builder in builders)
            total += builder.EstimatedBytes;
        return total;
    }
}
