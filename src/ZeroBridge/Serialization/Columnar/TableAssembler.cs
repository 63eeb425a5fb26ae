namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// Collects the chunks of one table (docs/protocol.md §10.3) into whole columns. With the row count announced,
/// each column is allocated once and every chunk is copied in, so the table is held about once; without it, the
/// columns grow by doubling.
/// </summary>
internal sealed class TableAssembler
{
    private readonly IReadOnlyList<TableColumn> _schema;
    private readonly long? _total;
    private readonly Array[] _data;
    private readonly bool[]?[] _nulls;
    private readonly bool[] _nullable;
    private int _rows;

    /// <summary>Starts a table with its first chunk.</summary>
    /// <exception cref="ZeroBridgeSerializationException">The announced row count cannot be held.</exception>
    public TableAssembler(ColumnarReader.Chunk first)
    {
        _schema = first.Table.Columns;
        _total = first.Total;
        if (_total is < 0 or > int.MaxValue)
            throw new ZeroBridgeSerializationException($"A table of {_total} rows cannot be held by a TableData.");
        int capacity = (int?)_total ?? Math.Max(16, first.Table.RowCount * 2);
        _data = _schema.Select(c => Array.CreateInstance(c.ElementType, capacity)).ToArray();
        _nulls = new bool[]?[_schema.Count];
        _nullable = _schema.Select(c => c.Nullable).ToArray();
        Add(first);
    }

    /// <summary>The cursor of the next chunk; null once the last chunk is in.</summary>
    public string? More { get; private set; }

    /// <summary>The rows received so far.</summary>
    public int Rows => _rows;

    /// <summary>Adds the next chunk, which must have the first chunk's columns.</summary>
    /// <exception cref="ZeroBridgeSerializationException">The chunk's columns differ, or it exceeds the announced rows.</exception>
    public void Add(ColumnarReader.Chunk chunk)
    {
        var columns = chunk.Table.Columns;
        if (columns.Count != _schema.Count)
            throw new ZeroBridgeSerializationException(
                $"A table chunk has {columns.Count} columns but the table's first chunk had {_schema.Count}.");
        for (int c = 0; c < columns.Count; c++)
        {
            if (columns[c].Name != _schema[c].Name || columns[c].Type != _schema[c].Type)
                throw new ZeroBridgeSerializationException(
                    $"A table chunk's column {c} is '{columns[c].Name}' ({columns[c].Type}) but the table's first chunk had " +
                    $"'{_schema[c].Name}' ({_schema[c].Type}).");
        }
        long end = (long)_rows + chunk.Table.RowCount;
        if (end > (_total ?? int.MaxValue))
            throw new ZeroBridgeSerializationException(_total is null
                ? "The table sent more rows than a TableData can hold."
                : $"The table sent more rows than the {_total} it announced.");
        EnsureCapacity((int)end);
        for (int c = 0; c < columns.Count; c++)
        {
            var column = columns[c];
            Array.Copy(column.Data, column.Offset, _data[c], _rows, column.Length);
            if (column.Nulls is { } nulls)
            {
                _nulls[c] ??= new bool[_data[c].Length];
                Array.Copy(nulls, column.Offset, _nulls[c]!, _rows, column.Length);
            }
            _nullable[c] |= column.Nullable;
        }
        _rows = (int)end;
        More = chunk.More;
    }

    /// <summary>The whole table, once the last chunk is in.</summary>
    /// <exception cref="ZeroBridgeSerializationException">The table sent fewer rows than it announced.</exception>
    public TableData ToTable()
    {
        if (More is not null)
            throw new InvalidOperationException("The table has more chunks to come.");
        if (_total is { } total && _rows != total)
            throw new ZeroBridgeSerializationException($"The table announced {total} rows but sent {_rows}.");
        return new TableData(_schema.Select((c, i) => new TableColumn(c.Name, c.Type, _data[i], _nulls[i], _nullable[i], 0, _rows)));
    }

    private void EnsureCapacity(int rows)
    {
        if (_data.Length == 0 || rows <= _data[0].Length)
            return;
        int capacity = (int)Math.Min(Array.MaxLength, Math.Max(rows, 2L * _data[0].Length));
        for (int c = 0; c < _data.Length; c++)
        {
            var grown = Array.CreateInstance(_data[c].GetType().GetElementType()!, capacity);
            Array.Copy(_data[c], grown, _rows);
            _data[c] = grown;
            if (_nulls[c] is { } nulls)
            {
                var grownNulls = new bool[capacity];
                Array.Copy(nulls, grownNulls, _rows);
                _nulls[c] = grownNulls;
            }
        }
    }
}
