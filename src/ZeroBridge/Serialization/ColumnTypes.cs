namespace ZeroBridge.Serialization;

/// <summary>The column types of a table (docs/protocol.md §4.2) and how .NET types map onto them.</summary>
public static class ColumnTypes
{
#pragma warning disable CS1591 // The names are the documentation: each is the wire name of one column type.
    public const string Bool = "bool";
    public const string Int8 = "int8";
    public const string Int16 = "int16";
    public const string Int32 = "int32";
    public const string Int64 = "int64";
    public const string UInt8 = "uint8";
    public const string UInt16 = "uint16";
    public const string UInt32 = "uint32";
    public const string UInt64 = "uint64";
    public const string Float32 = "float32";
    public const string Float64 = "float64";
    public const string Decimal = "decimal";
    public const string String = "string";
    public const string Bytes = "bytes";
    public const string DateTime = "datetime";
    public const string DateTimeTz = "datetimetz";
    public const string TimeSpan = "timespan";
    public const string Uuid = "uuid";
    public const string Category = "category";
    public const string Object = "object";
#pragma warning restore CS1591

    /// <summary>
    /// The column type for values of a .NET type, and whether it can hold nulls. Reference types other than
    /// strings and byte arrays, and <see cref="Nullable{T}"/>, are nullable.
    /// </summary>
    public static (string Type, bool Nullable) For(Type clrType)
    {
        var underlying = Nullable.GetUnderlyingType(clrType);
        bool nullable = underlying is not null || !clrType.IsValueType;
        var type = underlying ?? clrType;
        string name = type switch
        {
            _ when type == typeof(bool) => Bool,
            _ when type == typeof(sbyte) => Int8,
            _ when type == typeof(short) => Int16,
            _ when type == typeof(int) => Int32,
            _ when type == typeof(long) => Int64,
            _ when type == typeof(byte) => UInt8,
            _ when type == typeof(ushort) => UInt16,
            _ when type == typeof(uint) => UInt32,
            _ when type == typeof(ulong) => UInt64,
            _ when type == typeof(float) => Float32,
            _ when type == typeof(double) => Float64,
            _ when type == typeof(decimal) => Decimal,
            _ when type == typeof(string) || type == typeof(char) => String,
            _ when type == typeof(byte[]) || type == typeof(ReadOnlyMemory<byte>) || type == typeof(Memory<byte>) => Bytes,
            _ when type == typeof(System.DateTime) || type == typeof(DateOnly) => DateTime,
            _ when type == typeof(DateTimeOffset) => DateTimeTz,
            _ when type == typeof(System.TimeSpan) || type == typeof(TimeOnly) => TimeSpan,
            _ when type == typeof(Guid) => Uuid,
            _ when type.IsEnum => Category,
            _ => Object,
        };
        return (name, nullable);
    }

    /// <summary>
    /// Adjusts a column type by the values it holds where the .NET type alone cannot tell: a <see cref="System.DateTime"/>
    /// column whose values are UTC or local times is time-zone aware, and travels as <see cref="DateTimeTz"/>.
    /// </summary>
    public static string Refine(string type, IEnumerable<object?> values) =>
        type == DateTime && values.Any(v => v is System.DateTime { Kind: not DateTimeKind.Unspecified })
            ? DateTimeTz
            : type;

    /// <summary>
    /// The column type of values whose declared type says little (a database reader's column of a dynamically
    /// typed engine such as SQLite): the one .NET type all non-null values share, integers and floats together as
    /// float64; else <paramref name="declared"/>.
    /// </summary>
    public static string FromValues(IReadOnlyList<object?> values, Type declared)
    {
        var types = values.Where(v => v is not null).Select(v => v!.GetType()).Distinct().ToList();
        return types.Count switch
        {
            0 => For(declared).Type,
            1 => Refine(For(types[0]).Type, values),
            2 when types.Contains(typeof(long)) && types.Contains(typeof(double)) => Float64,
            _ => Object,
        };
    }
}
