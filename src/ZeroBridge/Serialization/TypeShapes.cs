using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace ZeroBridge.Serialization;

/// <summary>
/// Classifies .NET types by how they travel: scalars, sequences, dictionaries, tuples, and records (types whose
/// public properties make up their value). A sequence of records travels as a table.
/// </summary>
internal static class TypeShapes
{
    private static readonly HashSet<Type> Scalars =
    [
        typeof(string), typeof(char), typeof(bool), typeof(decimal), typeof(DateTime), typeof(DateTimeOffset),
        typeof(DateOnly), typeof(TimeOnly), typeof(TimeSpan), typeof(Guid), typeof(byte[]), typeof(object),
        typeof(ReadOnlyMemory<byte>), typeof(Memory<byte>), typeof(TableData),
    ];

    /// <summary>Whether values of this type are maps of their public properties.</summary>
    public static bool IsRecord(Type type)
    {
        if (type.IsPrimitive || type.IsEnum || type.IsPointer || Scalars.Contains(type) || type.IsArray)
            return false;
        if (Nullable.GetUnderlyingType(type) is not null || IsTuple(type) || typeof(IEnumerable).IsAssignableFrom(type))
            return false;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>))
            return false;
        if (typeof(System.Data.IDataReader).IsAssignableFrom(type) || typeof(System.Data.DataTable).IsAssignableFrom(type))
            return false;
        if (typeof(Delegate).IsAssignableFrom(type) || typeof(Task).IsAssignableFrom(type))
            return false;
        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Any(p => p.CanRead && p.GetIndexParameters().Length == 0);
    }

    /// <summary>Whether this type is a sequence (not a dictionary) of records, which travels as a table.</summary>
    public static bool IsRecordSequence(Type type, out Type elementType)
    {
        elementType = typeof(object);
        if (DictionaryTypes(type) is not null || type == typeof(string))
            return false;
        if (ElementType(type) is not { } element || !IsRecord(element))
            return false;
        elementType = element;
        return true;
    }

    /// <summary>The <c>T</c> of the <see cref="IEnumerable{T}"/> this type implements, or null.</summary>
    public static Type? ElementType(Type type)
    {
        if (type == typeof(string))
            return null;
        if (type.IsArray)
            return type.GetElementType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            return type.GetGenericArguments()[0];
        var enumerable = type.GetInterfaces()
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0];
    }

    /// <summary>The key and value types when this type is a generic dictionary, else null.</summary>
    public static (Type Key, Type Value)? DictionaryTypes(Type type)
    {
        foreach (var candidate in type.GetInterfaces().Prepend(type))
        {
            if (!candidate.IsGenericType)
                continue;
            var definition = candidate.GetGenericTypeDefinition();
            if (definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
            {
                var arguments = candidate.GetGenericArguments();
                return (arguments[0], arguments[1]);
            }
        }
        return null;
    }

    /// <summary>Whether this is a <see cref="Tuple"/> or <see cref="ValueTuple"/> type.</summary>
    public static bool IsTuple(Type type) =>
        typeof(ITuple).IsAssignableFrom(type) && type.IsGenericType
        && (type.FullName?.StartsWith("System.Tuple`", StringComparison.Ordinal) == true
            || type.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true);
}
