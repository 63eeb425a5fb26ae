using System.Runtime.CompilerServices;

namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// Collects the values of one column, typed, without boxing: the storage a record source or a data reader fills
/// row by row before a chunk of the table is written.
/// </summary>
internal abstract class ColumnBuilder
{
    protected ColumnBuilder(string name, string type, bool nullable)
    {
        Name = name;
        Type = type;
        Nullable = nullable;
    }

    public string Name { get; }
    public string Type { get; protected set; }
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

    private T[] _values;
    private bool[]? _nulls;
    private long _variableBytes;
    private int _capacity;

    public ColumnBuilder(string name, string type, bool nullable, int capacity) : base(name, type, nullable) =>
        _values = new T[Math.Max(16, capacity)];

    public override long EstimatedBytes => (long)Count * FixedWidth + _variableBytes + (_nulls is null ? 0 : Count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Append(T value)
    {
        if (Count == _values.Length)
            Grow();
        _values[Count++] = value;
        if (typeof(T) == typeof(string))
            _variableBytes += Unsafe.As<string?>(value)?.Length ?? 0;
        else if (typeof(T) == typeof(byte[]))
            _variableBytes += Unsafe.As<byte[]?>(value)?.Length ?? 0;
    }

    public override void AppendNull()
    {
        if (Count == _values.Length)
            Grow();
        if (typeof(T).IsValueType)
            (_nulls ??= new bool[_values.Length])[Count] = true;
        _values[Count++] = default!;
    }

    public override void AppendBoxed(object? value)
    {
        if (value is null or DBNull)
            AppendNull();
        else
            Append(value is T typed && typeof(T) != typeof(object) ? typed : (T)ColumnStorage.Convert(Type, value));
    }

    /// <summary>Changes the declared column type among types of the same storage (datetime to datetimetz, say).</summary>
    public void Retype(string type) => Type = type;

    public T[] Buffer => _values;

    public override TableColumn Take()
    {
        var column = new TableColumn(Name, Type, _values, _nulls, Nullable, 0, Count);
        _capacity = _values.Length;
        _values = []; // the next chunk's storage is allocated by its first append: none after the last chunk
        _nulls = null;
        _variableBytes = 0;
        Count = 0;
        return column;
    }

    private void Grow()
    {
        int size = _values.Length == 0 ? Math.Max(16, _capacity) : checked(_values.Length * 2);
        Array.Resize(ref _values, size);
        if (_nulls is not null)
            Array.Resize(ref _nulls, size);
    }
}
