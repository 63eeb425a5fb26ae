using System.Collections;
using MessagePack;

namespace ZeroBridge.Serialization;

/// <summary>
/// Names of types as a Python client sees them, for introspection and for error messages that say what was
/// expected and what arrived.
/// </summary>
public static class WireTypeNames
{
    /// <summary>The Python name of what a msgpack value of this type decodes to.</summary>
    public static string Describe(MessagePackType type) => type switch
    {
        MessagePackType.Nil => "None",
        MessagePackType.Boolean => "bool",
        MessagePackType.Integer => "int",
        MessagePackType.Float => "float",
        MessagePackType.String => "str",
        MessagePackType.Binary => "bytes",
        MessagePackType.Array => "list",
        MessagePackType.Map => "dict",
        MessagePackType.Extension => "an ext value",
        _ => "an unknown msgpack type",
    };

    /// <summary>The Python type a value of this .NET type arrives as, e.g. <c>int</c>, <c>list[str]</c>, <c>DataFrame</c>.</summary>
    public static string ForClrType(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
            return ForClrType(underlying) + " | None";
        if (type == typeof(void))
            return "None";
        if (type == typeof(bool))
            return "bool";
        if (type.IsEnum)
            return "str";
        if (type == typeof(sbyte) || type == typeof(byte) || type == typeof(short) || type == typeof(ushort)
            || type == typeof(int) || type == typeof(uint) || type == typeof(long) || type == typeof(ulong))
            return "int";
        if (type == typeof(float) || type == typeof(double))
            return "float";
        if (type == typeof(decimal))
            return "Decimal";
        if (type == typeof(string) || type == typeof(char))
            return "str";
        if (type == typeof(byte[]) || type == typeof(ReadOnlyMemory<byte>) || type == typeof(Memory<byte>))
            return "bytes";
        if (type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly))
            return "datetime";
        if (type == typeof(TimeSpan) || type == typeof(TimeOnly))
            return "timedelta";
        if (type == typeof(Guid))
            return "UUID";
        if (type == typeof(TableData) || TypeShapes.IsRecordSequence(type, out _))
            return "DataFrame";
        if (type == typeof(object))
            return "Any";
        if (TypeShapes.DictionaryTypes(type) is var (key, value))
            return $"dict[{ForClrType(key)}, {ForClrType(value)}]";
        if (TypeShapes.IsTuple(type))
            return "list";
        if (TypeShapes.ElementType(type) is { } element)
            return $"list[{ForClrType(element)}]";
        if (typeof(IEnumerable).IsAssignableFrom(type))
            return "list";
        return "dict";
    }

    /// <summary>A readable C# spelling of a type, such as <c>IReadOnlyList&lt;Order&gt;</c>.</summary>
    public static string CSharpName(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
            return CSharpName(underlying) + "?";
        if (type.IsArray)
            return CSharpName(type.GetElementType()!) + "[]";
        if (!type.IsGenericType)
            return type.Name;
        string name = type.Name;
        int tick = name.IndexOf('`');
        if (tick >= 0)
            name = name[..tick];
        return $"{name}<{string.Join(", ", type.GetGenericArguments().Select(CSharpName))}>";
    }
}
