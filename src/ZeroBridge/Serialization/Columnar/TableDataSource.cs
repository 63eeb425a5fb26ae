namespace ZeroBridge.Serialization.Columnar;

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
