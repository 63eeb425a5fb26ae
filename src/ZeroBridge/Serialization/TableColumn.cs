namespace ZeroBridge.Serialization;

/// <summary>One column of a <see cref="TableData"/>: a name, a column type and one value per row.</summary>
public sealed class TableColumn
{
    /// <summary>Creates a column.</summary>
    /// <param name="name">The column's name.</param>
    /// <param name="type">One of the <see cref="ColumnTypes"/> names.</param>
    /// <param name="values">One value per row; null for a missing value.</param>
    /// <param name="nullable">Whether the column can hold nulls (decides the pandas dtype on the Python side).</param>
    public TableColumn(string name, string type, IReadOnlyList<object?> values, bool nullable)
    {
        Name = name;
        Type = type;
        Values = values;
        Nullable = nullable;
    }

    /// <summary>The column's name.</summary>
    public string Name { get; }

    /// <summary>The column type, one of <see cref="ColumnTypes"/>.</summary>
    public string Type { get; }

    /// <summary>Whether the column can hold nulls.</summary>
    public bool Nullable { get; }

    /// <summary>The values, one per row.</summary>
    public IReadOnlyList<object?> Values { get; }
}
