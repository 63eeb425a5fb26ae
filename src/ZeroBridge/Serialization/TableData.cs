using System.Collections;
using System.Data;
using ZeroBridge.Serialization.Columnar;

namespace ZeroBridge.Serialization;

/// <summary>
/// A table held column by column: what a sequence of records, a database reader or a pandas DataFrame becomes
/// on the wire (ext 5, docs/protocol.md §4.2). Return one from a command to send a table whose columns you
/// already have; take one as a parameter to receive a DataFrame.
/// </summary>
public sealed class TableData
{
    private readonly Dictionary<string, TableColumn> _byName;

    /// <summary>Creates a table from columns of equal length.</summary>
    /// <exception cref="ArgumentException">The columns differ in length or repeat a name.</exception>
    public TableData(IEnumerable<TableColumn> columns)
    {
        Columns = columns.ToList();
        RowCount = Columns.Count == 0 ? 0 : Columns[0].Length;
        foreach (var column in Columns)
        {
            if (column.Length != RowCount)
                throw new ArgumentException(
                    $"Column '{column.Name}' has {column.Length} values but the table has {RowCount} rows.", nameof(columns));
        }
        _byName = new Dictionary<string, TableColumn>(StringComparer.Ordinal);
        foreach (var column in Columns)
        {
            if (!_byName.TryAdd(column.Name, column))
                throw new ArgumentException($"Column name '{column.Name}' appears twice.", nameof(columns));
        }
    }

    /// <summary>The columns, in order.</summary>
    public IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>The number of rows.</summary>
    public int RowCount { get; }

    /// <summary>The column of that name.</summary>
    /// <exception cref="KeyNotFoundException">No column has that name.</exception>
    public TableColumn this[string name] => _byName.TryGetValue(name, out var column)
        ? column
        : throw new KeyNotFoundException($"The table has no column '{name}'; it has: {string.Join(", ", _byName.Keys)}.");

    /// <summary>
    /// Builds a table from a sequence of records: one column per public property, in declaration order. The
    /// properties are read by methods compiled once per type, into typed columns (no boxing).
    /// </summary>
    public static TableData FromRecords<T>(IEnumerable<T> records) => FromRecords(records, typeof(T));

    /// <summary>Builds a table from a sequence of records of a type known only at run time.</summary>
    public static TableData FromRecords(IEnumerable records, Type recordType)
    {
        using var source = new RecordSource(records, recordType);
        return source.ReadAll().WithAwareDateTimes();
    }

    /// <summary>
    /// Reads every row of a data reader (a SQL query's result, say) into a table. Column types come from the values
    /// read (engines such as SQLite type each value, not the column), else from the reader's field types.
    /// Database nulls become nulls. The reader is not disposed. (Returning the reader itself from a command
    /// streams it instead, in chunks for large results.)
    /// </summary>
    public static TableData FromDataReader(IDataReader reader) =>
        new DataReaderSource(reader, ownsReader: false).ReadAll();

    /// <summary>A <see cref="DataTable"/>'s rows as a table, column types from its columns' data types.</summary>
    public static TableData FromDataTable(DataTable table)
    {
        using var reader = table.CreateDataReader();
        return FromDataReader(reader);
    }

    /// <summary>Rows [start, start + count), sharing this table's storage.</summary>
    public TableData Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > RowCount)
            throw new ArgumentOutOfRangeException(nameof(count), $"Rows {start}..{start + count} lie outside a table of {RowCount} rows.");
        return new TableData(Columns.Select(c => c.Slice(start, count)));
    }

    /// <summary>DateTime columns holding UTC or local times become time-zone aware (datetimetz) columns.</summary>
    internal TableData WithAwareDateTimes()
    {
        if (!Columns.Any(c => c.Type == ColumnTypes.DateTime && Columnar.ColumnarWriter.HasAwareValues(c)))
            return this;
        return new TableData(Columns.Select(c => c.Type == ColumnTypes.DateTime && Columnar.ColumnarWriter.HasAwareValues(c)
            ? new TableColumn(c.Name, ColumnTypes.DateTimeTz, c.Values, c.Nullable)
            : c));
    }

    /// <summary>The rows as dictionaries from column name to value, for code that prefers rows.</summary>
    public IEnumerable<IReadOnlyDictionary<string, object?>> Rows()
    {
        for (int row = 0; row < RowCount; row++)
        {
            var values = new Dictionary<string, object?>(Columns.Count, StringComparer.Ordinal);
            foreach (var column in Columns)
                values[column.Name] = column.Values[row];
            yield return values;
        }
    }
}
