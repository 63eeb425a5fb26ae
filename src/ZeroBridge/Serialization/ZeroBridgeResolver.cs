using MessagePack;

using MessagePack.Resolvers;
using ZeroBridge.Serialization.Formatters;

namespace ZeroBridge.Serialization;

/// <summary>
/// Decides which formatter each type gets: ZeroBridge's formatters for the types of docs/protocol.md §4 first,
/// then tables for sequences of records and names for enums, then MessagePack-CSharp's contractless resolver
/// (public properties by name, no attributes needed, never a type name on the wire).
/// </summary>
internal sealed class ZeroBridgeResolver : IFormatterResolver
{
    public static readonly ZeroBridgeResolver Instance = new();

    private static readonly IFormatterResolver Fallback = ContractlessStandardResolver.Instance;

    private static readonly Dictionary<Type, object> FixedFormatters = new()
    {
        [typeof(DateTime)] = DateTimeFormatter.Instance,
        [typeof(DateTimeOffset)] = DateTimeOffsetFormatter.Instance,
        [typeof(DateOnly)] = DateOnlyFormatter.Instance,
        [typeof(TimeOnly)] = TimeOnlyFormatter.Instance,
        [typeof(TimeSpan)] = TimeSpanFormatter.Instance,
        [typeof(decimal)] = DecimalFormatter.Instance,
        [typeof(Guid)] = GuidFormatter.Instance,
        [typeof(char)] = CharFormatter.Instance,
        [typeof(byte[])] = ByteArrayFormatter.Instance,
        [typeof(ReadOnlyMemory<byte>)] = ReadOnlyMemoryFormatter.Instance,
        [typeof(Memory<byte>)] = MemoryFormatter.Instance,
        [typeof(object)] = DynamicValueFormatter.Instance,
        [typeof(TableData)] = TableDataFormatter.Instance,
        [typeof(OpaqueExtension)] = OpaqueExtensionFormatter.Instance,
        [typeof(Columnar.TableContinuation)] = TableContinuationFormatter.Instance,
    };

    private ZeroBridgeResolver() { }

    public MessagePack.Formatters.IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

    private static class Cache<T>
    {
        public static readonly MessagePack.Formatters.IMessagePackFormatter<T>? Formatter =
            (MessagePack.Formatters.IMessagePackFormatter<T>?)Create(typeof(T)) ?? Guarded(Fallback.GetFormatter<T>());
    }

    /// <summary>Reference types may contain themselves: their writers check the stack (<see cref="StackGuardFormatter{T}"/>).</summary>
    private static MessagePack.Formatters.IMessagePackFormatter<T>? Guarded<T>(MessagePack.Formatters.IMessagePackFormatter<T>? formatter) =>
        formatter is null || typeof(T).IsValueType || typeof(T) == typeof(string) ? formatter : new StackGuardFormatter<T>(formatter);

    private static object? Create(Type type)
    {
        if (FixedFormatters.TryGetValue(type, out var formatter))
            return formatter;
        if (typeof(System.Data.IDataReader).IsAssignableFrom(type))
            return Activator.CreateInstance(typeof(DataReaderFormatter<>).MakeGenericType(type));
        if (typeof(System.Data.DataTable).IsAssignableFrom(type))
            return Activator.CreateInstance(typeof(DataTableFormatter<>).MakeGenericType(type));
        if (type.IsEnum)
            return Activator.CreateInstance(typeof(EnumNameFormatter<>).MakeGenericType(type));
        if (TypeShapes.IsRecordSequence(type, out var record))
            return Activator.CreateInstance(typeof(RecordSequenceFormatter<,>).MakeGenericType(type, record));
        if (!type.IsVisible && !type.IsArray && TypeShapes.DictionaryTypes(type) is null && TypeShapes.ElementType(type) is { } element)
            return Activator.CreateInstance(typeof(EnumerableFormatter<,>).MakeGenericType(type, element));
        return null;
    }
}
