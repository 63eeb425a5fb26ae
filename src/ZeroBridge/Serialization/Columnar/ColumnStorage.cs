namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// How each column type is held in memory (the element type of its array), and conversions between boxed
/// values and that storage, for code that has values one <see cref="object"/> at a time.
/// </summary>
internal static class ColumnStorage
{
    public static Type ElementType(string type) => type switch
    {
        ColumnTypes.Bool => typeof(bool),
        ColumnTypes.Int8 => typeof(sbyte),
        ColumnTypes.Int16 => typeof(short),
        ColumnTypes.Int32 => typeof(int),
        ColumnTypes.Int64 => typeof(long),
        ColumnTypes.UInt8 => typeof(byte),
        ColumnTypes.UInt16 => typeof(ushort),
        ColumnTypes.UInt32 => typeof(uint),
        ColumnTypes.UInt64 => typeof(ulong),
        ColumnTypes.Float32 => typeof(float),
        ColumnTypes.Float64 => typeof(double),
        ColumnTypes.Decimal => typeof(decimal),
        ColumnTypes.String or ColumnTypes.Category => typeof(string),
        ColumnTypes.Bytes => typeof(byte[]),
        ColumnTypes.DateTime => typeof(DateTime),
        ColumnTypes.DateTimeTz => typeof(DateTimeOffset),
        ColumnTypes.TimeSpan => typeof(TimeSpan),
        ColumnTypes.Uuid => typeof(Guid),
        _ => typeof(object),
    };

    /// <summary>Whether the element type is a value type, whose nulls need a mask.</summary>
    public static bool NeedsMask(string type) => ElementType(type).IsValueType;

    /// <summary>Typed storage and null mask for boxed values.</summary>
    /// <exception cref="ArgumentException">A value does not fit the column type.</exception>
    public static (Array Data, bool[]? Nulls) FromBoxed(string type, IReadOnlyList<object?> values)
    {
        var element = ElementType(type);
        var data = Array.CreateInstance(element, values.Count);
        bool[]? nulls = null;
        for (int i = 0; i < values.Count; i++)
        {
            var value = values[i];
            if (value is null or DBNull)
            {
                if (element.IsValueType)
                    (nulls ??= new bool[values.Count])[i] = true;
                continue;
            }
            try
            {
                data.SetValue(Convert(type, value), i);
            }
            catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or ArgumentException)
            {
                throw new ArgumentException($"A {value.GetType().Name} value ({value}) cannot be held in a {type} column.", nameof(values), ex);
            }
        }
        return (data, nulls);
    }

    /// <summary>One non-null value converted to the storage type of a column type.</summary>
    public static object Convert(string type, object value) => type switch
    {
        ColumnTypes.Bool => System.Convert.ToBoolean(value),
        ColumnTypes.Int8 => System.Convert.ToSByte(value),
        ColumnTypes.Int16 => System.Convert.ToInt16(value),
        ColumnTypes.Int32 => System.Convert.ToInt32(value),
        ColumnTypes.Int64 => System.Convert.ToInt64(value),
        ColumnTypes.UInt8 => System.Convert.ToByte(value),
        ColumnTypes.UInt16 => System.Convert.ToUInt16(value),
        ColumnTypes.UInt32 => System.Convert.ToUInt32(value),
        ColumnTypes.UInt64 => System.Convert.ToUInt64(value),
        ColumnTypes.Float32 => System.Convert.ToSingle(value),
        ColumnTypes.Float64 => System.Convert.ToDouble(value),
        ColumnTypes.Decimal => System.Convert.ToDecimal(value),
        ColumnTypes.String => value as string ?? System.Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
        ColumnTypes.Category => value as string ?? value.ToString()!,
        ColumnTypes.Bytes => value switch
        {
            byte[] bytes => bytes,
            ReadOnlyMemory<byte> memory => memory.ToArray(),
            Memory<byte> memory => memory.ToArray(),
            _ => throw new InvalidCastException(),
        },
        ColumnTypes.DateTime => value switch
        {
            DateTime dateTime => dateTime,
            DateOnly date => date.ToDateTime(TimeOnly.MinValue),
            DateTimeOffset offset => offset.DateTime,
            _ => throw new InvalidCastException(),
        },
        ColumnTypes.DateTimeTz => value switch
        {
            DateTimeOffset offset => offset,
            DateTime { Kind: DateTimeKind.Unspecified } dateTime => new DateTimeOffset(dateTime, System.TimeSpan.Zero),
            DateTime dateTime => new DateTimeOffset(dateTime),
            DateOnly date => new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), System.TimeSpan.Zero),
            _ => throw new InvalidCastException(),
        },
        ColumnTypes.TimeSpan => value switch
        {
            TimeSpan span => span,
            TimeOnly time => time.ToTimeSpan(),
            _ => throw new InvalidCastException(),
        },
        ColumnTypes.Uuid => value switch
        {
            Guid guid => guid,
            string text => Guid.Parse(text),
            _ => throw new InvalidCastException(),
        },
        _ => value,
    };

    /// <summary>The boxed view of typed storage.</summary>
    public static IReadOnlyList<object?> Box(string type, Array data, bool[]? nulls, int offset, int length)
    {
        var boxed = new object?[length];
        for (int i = 0; i < length; i++)
            boxed[i] = nulls is not null && nulls[offset + i] ? null : data.GetValue(offset + i);
        return boxed;
    }
}
