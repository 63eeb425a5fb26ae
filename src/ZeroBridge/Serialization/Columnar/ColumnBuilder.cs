using System.Buffers;
using System.Runtime.CompilerServices;

namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// Collects the values of one column, typed, without boxing: the storage a record source or a data reader fills
/// row by row before a chunk of the table is written.
/// </summary>
/// <remarks>
/// Storage is rented from <see cref="ArrayPool{T}.Shared"/>: a chunk's columns are garbage as soon as the chunk is
/// encoded, and fresh arrays of that size cost more than filling them (the pages the runtime maps in for a new large
/// array are zeroed by the kernel on first touch: measured 2x for a 1M-row read). The source gives the storage
/// back with <see cref="ReturnLent"/> once the chunk it handed out has been written; storage of chunks that leave
/// the library (<see cref="TableData"/> made for the application) is simply never returned.
/// </remarks>
internal abstract class ColumnBuilder
{
    protected ColumnBuilder(string name, string type, bool nullable)
    {
        Name = name;
        Type = type;
        Nullable = nullable;
    }

    public string Name { get; }
    public string Type { get; }
    public bool Nullable { get; }

    /// <summary>Values appended since the last <see cref="Take"/>.</summary>
    public int Count { get; protected set; }

    /// <summary>Roughly how many bytes the values will take on the wire.</summary>
    public abstract long EstimatedBytes { get; }

    public abstract void AppendNull();

    /// <summary>Appends a value known only as an object (data readers), converting it to the column type.</summary>
    public abstract void AppendBoxed(object? value);

    /// <summary>The values so far as a column; the builder starts over empty.</summary>
    public abstract TableColumn Take();

    /// <summary>Appends every value of another builder of the same storage type (a part read in parallel).</summary>
    public abstract void AppendFrom(ColumnBuilder part);

    /// <summary>
    /// Gives the storage of every column <see cref="Take"/> handed out back to the pool: the caller has finished
    /// with those columns and nothing refers to them any more.
    /// </summary>
    public abstract void ReturnLent();

    /// <summary>Gives all storage back to the pool, the values not yet taken included: the builder is done.</summary>
    public abstract void Release();

    /// <summary>A builder of the storage type of a column type.</summary>
    public static ColumnBuilder Create(string name, string type, bool nullable, int capacity) =>
        (ColumnBuilder)Activator.CreateInstance(
            typeof(ColumnBuilder<>).MakeGenericType(ColumnStorage.ElementType(type)), name, type, nullable, capacity)!;
}

/// <summary>A column builder holding <typeparamref name="T"/> values.</summary>
internal sealed class ColumnBuilder<T> : ColumnBuilder
{
    private static readonly int FixedWidth = typeof(T) == typeof(string) || typeof(T) == typeof(byte[]) || typeof(T) == typeof(object)
        ? 4
        : Unsafe.SizeOf<T>();

    private static readonly bool ClearOnReturn = RuntimeHelpers.IsReferenceOrContainsReferences<T>();

    private T[] _values;
    private bool[]? _nulls;
    private long _variableBytes;
    private int _capacity;
    private readonly List<Array> _lent = [];

    public ColumnBuilder(string name, string type, bool nullable, int capacity) : base(name, type, nullable) =>
        _values = ArrayPool<T>.Shared.Rent(Math.Max(16, capacity));

    public override long EstimatedBytes => (long)Count * FixedWidth + _variableBytes + (_nulls is null ? 0 : Count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Append(T value)
    {
        if (Count == _values.Length)
            Grow(Count + 1);
        _values[Count++] = value;
        if (typeof(T) == typeof(string))
            _variableBytes += Unsafe.As<string?>(value)?.Length ?? 0;
        else if (typeof(T) == typeof(byte[]))
            _variableBytes += Unsafe.As<byte[]?>(value)?.Length ?? 0;
    }

    public override void AppendNull()
    {
        if (Count == _values.Length)
            Grow(Count + 1);
        if (typeof(T).IsValueType)
            (_nulls ??= RentNulls(_values.Length))[Count] = true;
        _values[Count++] = default!;
    }

    public override void AppendBoxed(object? value)
    {
        if (value is null or DBNull)
            AppendNull();
        else
            Append(value is T typed && typeof(T) != typeof(object) ? typed : (T)ColumnStorage.Convert(Type, value));
    }

    public override void AppendFrom(ColumnBuilder part)
    {
        var other = (ColumnBuilder<T>)part;
        int total = checked(Count + other.Count);
        if (total > _values.Length)
            Grow(total);
        Array.Copy(other._values, 0, _values, Count, other.Count);
        if (other._nulls is not null)
            Array.Copy(other._nulls, 0, _nulls ??= RentNulls(_values.Length), Count, other.Count);
        _variableBytes += other._variableBytes;
        Count = total;
    }

    public override TableColumn Take()
    {
        var column = new TableColumn(Name, Type, _values, _nulls, Nullable, 0, Count);
        _lent.Add(_values);
        if (_nulls is not null)
            _lent.Add(_nulls);
        _capacity = _values.Length;
        _values = []; // the next chunk's storage is rented by its first append: none after the last chunk
        _nulls = null;
        _variableBytes = 0;
        Count = 0;
        return column;
    }

    public override void ReturnLent()
    {
        foreach (var array in _lent)
        {
            if (array.Length == 0)
                continue; // the empty array between chunks was never rented
            if (array is T[] values)
                ArrayPool<T>.Shared.Return(values, ClearOnReturn);
            else
                ArrayPool<bool>.Shared.Return((bool[])array);
        }
        _lent.Clear();
    }

    public override void Release()
    {
        _lent.Add(_values);
        if (_nulls is not null)
            _lent.Add(_nulls);
        _values = [];
        _nulls = null;
        _variableBytes = 0;
        Count = 0;
        ReturnLent();
    }

    private void Grow(int needed)
    {
        int size = _values.Length == 0 ? Math.Max(Math.Max(16, _capacity), needed) : Math.Max(needed, checked(_values.Length * 2));
        var values = ArrayPool<T>.Shared.Rent(size);
        Array.Copy(_values, values, Count);
        if (_values.Length > 0)
            ArrayPool<T>.Shared.Return(_values, ClearOnReturn);
        _values = values;
        if (_nulls is not null)
        {
            var nulls = RentNulls(_values.Length);
            Array.Copy(_nulls, nulls, Count);
            ArrayPool<bool>.Shared.Return(_nulls);
            _nulls = nulls;
        }
    }

    /// <summary>A cleared null mask: pooled arrays hold old flags, and rows appended as values never write theirs.</summary>
    private static bool[] RentNulls(int length)
    {
        var nulls = ArrayPool<bool>.Shared.Rent(length);
        Array.Clear(nulls);
        return nulls;
    }
}
