using ZeroBridge.Serialization.Columnar;

namespace ZeroBridge.Serialization;

/// <summary>
/// Builds a <see cref="TableData"/> from column arrays the application already has: arrays are used as they are
/// (no copy), spans are copied once. Return the table from a command and it travels columnar.
/// </summary>
/// <example>
/// <code>
/// var table = new TableBuilder()
///     .Add("id", ids)                  // long[]
///     .Add("amount", amounts)          // double[]
///     .Add("quantity", quantities)     // int?[]: nulls kept
///     .Add("customer", names)          // string?[]
///     .Build();
/// </code>
/// </example>
public sealed class TableBuilder
{
    private readonly List<TableColumn> _columns = [];

    /// <summary>The columns added so far.</summary>
    public int ColumnCount => _columns.Count;

    /// <summary>
    /// Adds a column of <typeparamref name="T"/>: a number, <c>bool</c>, <c>decimal</c>, <c>string</c>,
    /// <c>byte[]</c>, <c>DateTime</c>, <c>DateTimeOffset</c>, <c>TimeSpan</c>, <c>Guid</c> or <c>object</c>.
    /// The array becomes the column's storage (not copied); <paramref name="nulls"/> flags missing values (true = null).
    /// </summary>
    /// <exception cref="ArgumentException">The type has no column type of its own, or the lengths differ.</exception>
    public TableBuilder Add<T>(string name, T[] values, bool[]? nulls = null)
    {
        var (type, nullable) = ColumnTypes.For(typeof(T));
        if (ColumnStorage.ElementType(type) != typeof(T))
            return Add(name, values.Select(v => (object?)v).ToArray(), type, nullable);
        if (type == ColumnTypes.DateTime && values is DateTime[] dates && dates.Any(d => d.Kind != DateTimeKind.Unspecified))
            return Add(name, dates.Select(d => (object?)d).ToArray(), ColumnTypes.DateTimeTz, nulls is not null);
        _columns.Add(TableColumn.Create(name, type, values, nulls, nullable && !typeof(T).IsValueType || nulls is not null));
        return this;
    }

    /// <summary>Adds a column from a span, copied once.</summary>
    public TableBuilder Add<T>(string name, ReadOnlySpan<T> values, ReadOnlySpan<bool> nulls = default) =>
        Add(name, values.ToArray(), nulls.IsEmpty ? null : nulls.ToArray());

    /// <summary>Adds a column of nullable values (<c>int?[]</c>, <c>DateTime?[]</c>, ...): values and null mask are split once.</summary>
    public TableBuilder Add<T>(string name, T?[] values) where T : struct
    {
        var plain = new T[values.Length];
        var nulls = new bool[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] is { } value)
                plain[i] = value;
            else
                nulls[i] = true;
        }
        Add(name, plain, nulls);
        var last = _columns[^1];
        if (!last.Nullable) // a nullable .NET type makes a nullable column even without nulls
            _columns[^1] = new TableColumn(last.Name, last.Type, last.Data, last.Nulls, nullable: true, last.Offset, last.Length);
        return this;
    }

    /// <summary>Adds a column of boxed values with an explicit column type (see <see cref="ColumnTypes"/>).</summary>
    public TableBuilder Add(string name, IReadOnlyList<object?> values, string type, bool nullable)
    {
        _columns.Add(new TableColumn(name, type, values, nullable));
        return this;
    }

    /// <summary>The table.</summary>
    /// <exception cref="ArgumentException">The columns differ in length or repeat a name.</exception>
    public TableData Build() => new(_columns);
}
