using System.Collections;
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

/// <summary>An in-memory table, cut into slices that share its storage.</summary>
internal sealed class TableDataSource : TableSource
{
    private readonly TableData _table;
    private int _next;

    public TableDataSource(TableData table)
    {
        _table = table;
        TotalRows = table.RowCount;
        Finished = false;
    }

    public override TableData Next(long maxBytes)
    {
        int remaining = _table.RowCount - _next;
        long rowBytes = Math.Max(1, _table.Columns.Sum(c => ColumnWireWidth(c)));
        int count = (int)Math.Clamp(maxBytes / rowBytes, 1, Math.Max(1, remaining));
        count = Math.Min(count, remaining);
        var chunk = _next == 0 && count == _table.RowCount ? _table : _table.Slice(_next, count);
        _next += count;
        Finished = _next >= _table.RowCount;
        return chunk;
    }

    /// <summary>Roughly a cell's bytes on the wire, null mask included; only sizes chunks.</summary>
    private static long ColumnWireWidth(TableColumn column) => column.Type switch
    {
        ColumnTypes.Bool or ColumnTypes.Int8 or ColumnTypes.UInt8 => 2,
        ColumnTypes.Int16 or ColumnTypes.UInt16 => 3,
        ColumnTypes.Int32 or ColumnTypes.UInt32 or ColumnTypes.Float32 or ColumnTypes.Category => 5,
        ColumnTypes.String or ColumnTypes.Bytes => 20,
        ColumnTypes.Uuid => 17,
        ColumnTypes.Object => 32,
        _ => 9,
    };
}

/// <summary>
/// A sequence of records, read through compiled accessors into typed builders: lists and arrays by index in a
/// compiled loop, other sequences through their enumerator.
/// </summary>
internal sealed class RecordSource : TableSource
{
    private readonly IEnumerable _source;
    private readonly IEnumerator? _records;
    private readonly RecordColumns _columns;
    private readonly ColumnBuilder[] _builders;
    private readonly bool _indexed;
    private int _nextIndex;
    private bool _pending;

    public RecordSource(IEnumerable records, Type recordType)
    {
        _source = records;
        _columns = RecordColumns.For(recordType);
        TotalRows = records switch
        {
            ICollection collection => collection.Count,
            _ => null,
        };
        _indexed = records is ICollection && _columns.ListType.IsInstanceOfType(records);
        _builders = _columns.CreateBuilders((int)Math.Min(TotalRows ?? 4096, 1 << 20));
        if (_indexed)
        {
            _pending = TotalRows > 0;
        }
        else
        {
            _records = records.GetEnumerator();
            _pending = _records.MoveNext();
        }
        Finished = !_pending;
    }

    public override TableData Next(long maxBytes)
    {
        if (_indexed)
            NextIndexed(maxBytes);
        else
            NextEnumerated(maxBytes);
        Finished = !_pending;
        return _builders.Length == 0 ? new TableData([]) : Take(_builders);
    }

    private void NextIndexed(long maxBytes)
    {
        var appendRange = _columns.AppendRange;
        int chunkStart = _nextIndex;
        while (_pending)
        {
            int count = ((ICollection)_source).Count;
            int end = (int)Math.Min(count, (long)_nextIndex + CheckEvery);
            if (_nextIndex > chunkStart && ParallelEnd(chunkStart, count, maxBytes) is { } parallelEnd)
                ReadInParallel(_nextIndex, parallelEnd);
            else if (end > _nextIndex)
                appendRange(_source, _nextIndex, end, _builders);
            _nextIndex = Math.Max(end, _nextIndex);
            _pending = _nextIndex < count;
            if (Bytes(_builders) >= maxBytes)
                break;
        }
    }

    /// <summary>Lists from this many rows on are read by several threads, each a range of rows.</summary>
    internal const int ParallelRows = 131_072;

    /// <summary>
    /// Where a parallel read of the chunk in progress should end: the rows that still fit <paramref name="maxBytes"/>
    /// at the width of the rows read so far, or null when that is too few to be worth the threads.
    /// </summary>
    private int? ParallelEnd(int chunkStart, int count, long maxBytes)
    {
        if (Environment.ProcessorCount < 2 || count - _nextIndex < ParallelRows)
            return null;
        long bytes = Bytes(_builders);
        double rowBytes = Math.Max(1.0, (double)bytes / (_nextIndex - chunkStart));
        long fitting = (long)((maxBytes - bytes) / rowBytes);
        long end = Math.Min(count, _nextIndex + fitting);
        return end - _nextIndex >= ParallelRows ? (int)end : null;
    }

    /// <summary>
    /// Reads the rows <c>[start, end)</c> in one part per processor: the first part into the source's builders, the
    /// others into their own, appended in order afterwards. Reading records is bound by memory latency (one object
    /// per row), so two cores read a large list in close to half the time.
    /// </summary>
    private void ReadInParallel(int start, int end)
    {
        int parts = Math.Min(Environment.ProcessorCount, 4);
        int size = (end - start + parts - 1) / parts;
        var builders = new ColumnBuilder[parts][];
        builders[0] = _builders;
        for (int p = 1; p < parts; p++)
            builders[p] = _columns.CreateBuilders(size);
        try
        {
            Parallel.For(0, parts, p =>
            {
                int from = start + p * size, to = Math.Min(end, from + size);
                if (to > from)
                    _columns.AppendRange(_source, from, to, builders[p]);
            });
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
        }
        for (int p = 1; p < parts; p++)
        {
            for (int c = 0; c < _builders.Length; c++)
            {
                _builders[c].AppendFrom(builders[p][c]);
                builders[p][c].Release();
            }
        }
        _nextIndex = end;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void NextEnumerated(long maxBytes)
    {
        var append = _columns.Append;
        var records = _records!;
        int sinceCheck = 0;
        while (_pending)
        {
            var record = records.Current;
            if (record is null)
                RecordColumns.AppendNulls(_builders);
            else
                append(record, _builders);
            _pending = records.MoveNext();
            if (++sinceCheck == CheckEvery)
            {
                sinceCheck = 0;
                if (Bytes(_builders) >= maxBytes)
                    break;
            }
        }
    }

    public override void Recycle() => Recycle(_builders);

    public override void Dispose() => (_records as IDisposable)?.Dispose();
}

/// <summary>
/// A data reader, row by row. Column types come from the values of the first chunk (engines such as SQLite
/// type each value, not the column), else from the reader's field types; later chunks must fit those types, and a
/// chunk that does not is an error (never a silent conversion).
/// Values are read with <see cref="IDataRecord.GetValue"/>, which boxes: ADO.NET's one portable way.
/// </summary>
internal sealed class DataReaderSource : TableSource
{
    private readonly IDataReader _reader;
    private readonly bool _ownsReader;
    private readonly ColumnBuilder<object>[] _builders;
    private string[]? _types;
    private bool[]? _nullable;
    private bool _pending;

    public DataReaderSource(IDataReader reader, bool ownsReader)
    {
        _reader = reader;
        _ownsReader = ownsReader;
        _builders = Enumerable.Range(0, reader.FieldCount)
            .Select(i => new ColumnBuilder<object>(reader.GetName(i), ColumnTypes.Object, nullable: true, 4096))
            .ToArray();
        _pending = reader.Read();
        Finished = !_pending;
    }

    public override TableData Next(long maxBytes)
    {
        int count = _builders.Length;
        int sinceCheck = 0;
        while (_pending)
        {
            for (int i = 0; i < count; i++)
                _builders[i].AppendBoxed(_reader.IsDBNull(i) ? null : _reader.GetValue(i));
            _pending = _reader.Read();
            if (++sinceCheck == CheckEvery)
            {
                sinceCheck = 0;
                if (Bytes(_builders) >= maxBytes)
                    break;
            }
        }
        Finished = !_pending;
        var columns = new List<TableColumn>(count);
        bool first = _types is null;
        _types ??= new string[count];
        _nullable ??= new bool[count];
        for (int i = 0; i < count; i++)
        {
            var raw = _builders[i].Take();
            var values = (object?[])raw.Data;
            var slice = new ArraySegment<object?>(values, 0, raw.Length);
            if (first)
            {
                _types[i] = ColumnTypes.FromValues(slice, _reader.GetFieldType(i));
                _nullable[i] = raw.NullCount > 0;
            }
            else
                CheckSameType(raw.Name, _types[i], slice);
            columns.Add(new TableColumn(raw.Name, _types[i], slice, _nullable[i] || raw.NullCount > 0));
            _builders[i].ReturnLent(); // the typed column holds copies of the boxed values
        }
        if (Finished)
            Dispose();
        return new TableData(columns);
    }

    public override void Dispose()
    {
        if (_ownsReader)
            _reader.Dispose();
    }

    /// <summary>
    /// The first chunk fixed the column's type for the whole stream; a later chunk whose values need another type
    /// is an error rather than a silent conversion (an integer column that turns up 1.5 must not arrive as 2).
    /// Integers in a float64 column are exact enough to pass, and a chunk of nulls fits any type.
    /// </summary>
    private void CheckSameType(string column, string fixedType, IReadOnlyList<object?> values)
    {
        if (values.All(v => v is null))
            return;
        string seen = ColumnTypes.FromValues(values, typeof(object));
        if (seen == fixedType || (fixedType == ColumnTypes.Float64 && seen == ColumnTypes.Int64))
            return;
        Dispose();
        throw new ZeroBridgeSerializationException(
            $"Column '{column}' of the data reader held {fixedType} values in the first chunk but {seen} values later; a " +
            "streamed reader keeps the column types of its first chunk. Cast the column in the query (e.g. CAST(x AS REAL)).");
    }
}
