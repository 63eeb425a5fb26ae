using System.Collections;

namespace ZeroBridge.Serialization.Columnar;

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
            // The first block is read alone: its width tells how many rows the chunk can still take.
            int end = _nextIndex > chunkStart && ParallelEnd(chunkStart, count, maxBytes) is { } parallelEnd
                ? ReadInParallel(_nextIndex, parallelEnd)
                : ReadBlock(appendRange, (int)Math.Min(count, (long)_nextIndex + CheckEvery));
            _nextIndex = end;
            _pending = _nextIndex < count;
            if (Bytes(_builders) >= maxBytes)
                break;
        }
    }

    private int ReadBlock(Action<object, int, int, ColumnBuilder[]> appendRange, int end)
    {
        if (end > _nextIndex)
            appendRange(_source, _nextIndex, end, _builders);
        return end;
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
    /// <returns><paramref name="end"/>, where the next read starts.</returns>
    private int ReadInParallel(int start, int end)
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
        return end;
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
