using System.Runtime.InteropServices;
using ZeroBridge.Serialization.Columnar;

namespace ZeroBridge.Serialization;

/// <summary>
/// One column of a <see cref="TableData"/>: a name, a column type and one value per row, held typed (a
/// <c>long[]</c> for an int64 column, a <c>string?[]</c> for a string column) with a null mask beside it.
/// Read it typed with <see cref="GetValues{T}"/> and <see cref="IsNull"/>, or boxed through <see cref="Values"/>.
/// </summary>
/// <remarks>
/// The .NET element type of each column type: bool <c>bool</c>; int8…uint64 <c>sbyte</c>…<c>ulong</c>;
/// float32 <c>float</c>; float64 <c>double</c>; decimal <c>decimal</c>; string and category <c>string?</c>;
/// bytes <c>byte[]?</c>; datetime <c>DateTime</c>; datetimetz <c>DateTimeOffset</c>; timespan <c>TimeSpan</c>;
/// uuid <c>Guid</c>; object <c>object?</c>. A null cell of a value type holds <c>default</c> and is flagged in the mask.
/// </remarks>
public sealed class TableColumn
{
    private readonly Array _data;
    private readonly bool[]? _nulls;
    private readonly int _offset;
    private IReadOnlyList<object?>? _boxed;

    /// <summary>Creates a column from boxed values, converting them to the column type's typed storage.</summary>
    /// <param name="name">The column's name.</param>
    /// <param name="type">One of the <see cref="ColumnTypes"/> names.</param>
    /// <param name="values">One value per row; null for a missing value.</param>
    /// <param name="nullable">Whether the column can hold nulls (decides the pandas dtype on the Python side).</param>
    /// <exception cref="ArgumentException">A value cannot be held by a column of that type.</exception>
    public TableColumn(string name, string type, IReadOnlyList<object?> values, bool nullable)
    {
        Name = name;
        Type = type;
        Nullable = nullable;
        (_data, _nulls) = ColumnStorage.FromBoxed(type, values);
        Length = values.Count;
        NullCount = _nulls is not null ? CountNulls(_nulls, 0, Length)
            : _data.GetType().GetElementType()!.IsValueType ? 0 : CountReferenceNulls(_data, 0, Length);
    }

    internal TableColumn(string name, string type, Array data, bool[]? nulls, bool nullable, int offset, int length)
    {
        if (ColumnStorage.ElementType(type) != data.GetType().GetElementType())
            throw new ArgumentException($"A {type} column holds {ColumnStorage.ElementType(type).Name} values, not {data.GetType().GetElementType()!.Name}.");
        if (offset < 0 || length < 0 || offset + length > data.Length || (nulls is not null && nulls.Length < offset + length))
            throw new ArgumentOutOfRangeException(nameof(length), "The column's range lies outside its storage.");
        Name = name;
        Type = type;
        _data = data;
        _offset = offset;
        Length = length;
        NullCount = nulls is not null ? CountNulls(nulls, offset, length)
            : data.GetType().GetElementType()!.IsValueType ? 0 : CountReferenceNulls(data, offset, length);
        _nulls = nulls is not null && NullCount > 0 ? nulls : null;
        Nullable = nullable || NullCount > 0;
    }

    /// <summary>Creates a column from a typed array (no copy); <paramref name="nulls"/> flags missing values (true = null).</summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not the element type of <paramref name="type"/>, or the lengths differ.</exception>
    public static TableColumn Create<T>(string name, string type, T[] values, bool[]? nulls = null, bool nullable = false)
    {
        if (nulls is not null && nulls.Length != values.Length)
            throw new ArgumentException($"Column '{name}' has {values.Length} values but {nulls.Length} null flags.", nameof(nulls));
        return new TableColumn(name, type, values, nulls, nullable, 0, values.Length);
    }

    /// <summary>The column's name.</summary>
    public string Name { get; }

    /// <summary>The column type, one of <see cref="ColumnTypes"/>.</summary>
    public string Type { get; }

    /// <summary>Whether the column can hold nulls.</summary>
    public bool Nullable { get; }

    /// <summary>The number of rows.</summary>
    public int Length { get; }

    /// <summary>How many cells are null.</summary>
    public int NullCount { get; }

    /// <summary>The .NET type the values are held as (see the remarks of <see cref="TableColumn"/>).</summary>
    public Type ElementType => _data.GetType().GetElementType()!;

    /// <summary>The values, typed, without copying. Cells that are null hold <c>default</c>; see <see cref="IsNull"/>.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> is not <see cref="ElementType"/>.</exception>
    public ReadOnlySpan<T> GetValues<T>() => _data is T[] typed
        ? new ReadOnlySpan<T>(typed, _offset, Length)
        : throw new InvalidOperationException($"Column '{Name}' ({Type}) holds {ElementType.Name} values, not {typeof(T).Name}.");

    /// <summary>The null mask (true = null), one flag per row; an empty span when the column has no nulls.</summary>
    public ReadOnlySpan<bool> GetNullMask()
    {
        if (NullCount == 0)
            return default;
        if (_nulls is not null)
            return new ReadOnlySpan<bool>(_nulls, _offset, Length);
        var mask = new bool[Length];
        var values = (object?[])_data; // reference types only: string?[], byte[]?[] and object?[] are all object?[]
        for (int i = 0; i < Length; i++)
            mask[i] = values[_offset + i] is null;
        return mask;
    }

    /// <summary>Whether the cell in <paramref name="row"/> is null.</summary>
    public bool IsNull(int row)
    {
        if ((uint)row >= (uint)Length)
            throw new ArgumentOutOfRangeException(nameof(row));
        return _nulls is not null ? _nulls[_offset + row] : _data.GetValue(_offset + row) is null;
    }

    /// <summary>The values, boxed, one per row (null for a missing value); built on first use.</summary>
    public IReadOnlyList<object?> Values => _boxed ??= ColumnStorage.Box(Type, _data, _nulls, _offset, Length);

    internal Array Data => _data;
    internal bool[]? Nulls => _nulls;
    internal int Offset => _offset;

    /// <summary>Rows [start, start + count) of this column, sharing its storage.</summary>
    internal TableColumn Slice(int start, int count) =>
        new(Name, Type, _data, _nulls, Nullable, _offset + start, count);

    internal TableColumn WithType(string type) => type == Type ? this : new(Name, type, _data, _nulls, Nullable, _offset, Length);

    private static int CountReferenceNulls(Array data, int offset, int length)
    {
        var values = (object?[])data;
        int count = 0;
        for (int i = offset; i < offset + length; i++)
            count += values[i] is null ? 1 : 0;
        return count;
    }

    private static int CountNulls(bool[] nulls, int offset, int length)
    {
        var span = new ReadOnlySpan<bool>(nulls, offset, length);
        return length - System.MemoryExtensions.Count(MemoryMarshal.AsBytes(span), (byte)0);
    }
}
