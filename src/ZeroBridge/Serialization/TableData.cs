using System.Collections;
using System.Data;

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
        RowCount = Columns.Count == 0 ? 0 : Columns[0].Values.Count;
        foreach (var column in Columns)
        {
            if (column.Values.Count != RowCount)
                throw new ArgumentException(
                    $"Column '{column.Name}' has {column.Values.Count} values but the table has {RowCount} rows.", nameof(columns));
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

    /// <summary>Builds a table from a sequence of records: one column per public property, in declaration order.</summary>
    public static TableData FromRecords<T>(IEnumerable<T> records) => FromRecords(records, typeof(T));

    /// <summary>Builds a table from a sequence of records of a type known only at run time.</summary>
    public static TableData FromRecords(IEnumerable records, Type recordType)
    {
        var accessors = RecordAccessors.For(recordType);
        var values = accessors.Properties.Select(_ => new List<object?>()).ToArray();
        foreach (var record in records)
        {
            for (int i = 0; i < values.Length; i++)
                values[i].Add(record is null ? null : accessors.Properties[i].Get(record));
        }
        return new TableData(accessors.Properties.Select((p, i) =>
        {
            var (type, nullable) = ColumnTypes.For(p.Type);
            return new TableColumn(p.Name, ColumnTypes.Refine(type, values[i]), values[i], nullable);
        }));
    }

    /// <summary>
    /// Reads every row of a data reader (a SQL query's result, say) into a table. Column types come from the values
    /// read (engines such as SQLite type each value, not the column), else from the reader's field types.
    /// Database nulls become nulls.
    /// </summary>
    public static TableData FromDataReader(IDataReader reader)
    {
        int count = reader.FieldCount;
        var values = Enumerable.Range(0, count).Select(_ => new List<object?>()).ToArray();
        var sawNull = new bool[count];
        while (reader.Read())
        {
            for (int i = 0; i < count; i++)
            {
                object? value = reader.IsDBNull(i) ? null : reader.GetValue(i);
                sawNull[i] |= value is null;
                values[i].Add(value);
            }
        }
        return new TableData(Enumerable.Range(0, count).Select(i =>
        {
            string type = ColumnTypes.FromValues(values[i], reader.GetFieldType(i));
            return new TableColumn(reader.GetName(i), type, values[i], nullable: sawNull[i]);
        }));
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
