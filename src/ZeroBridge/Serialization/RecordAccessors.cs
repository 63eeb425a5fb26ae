using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;

namespace ZeroBridge.Serialization;

/// <summary>
/// Compiled getters for the public properties of a record type, built once per type, so that turning a sequence
/// of records into columns costs no reflection per row.
/// </summary>
internal sealed class RecordAccessors
{
    private static readonly ConcurrentDictionary<Type, RecordAccessors> Cache = new();

    private RecordAccessors(IReadOnlyList<(string Name, Type Type, Func<object, object?> Get)> properties) =>
        Properties = properties;

    /// <summary>The properties in declaration order: name, type, getter.</summary>
    public IReadOnlyList<(string Name, Type Type, Func<object, object?> Get)> Properties { get; }

    public static RecordAccessors For(Type recordType) => Cache.GetOrAdd(recordType, Build);

    private static RecordAccessors Build(Type type)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.GetMethod!.IsPublic)
            .OrderBy(p => p.MetadataToken) // declaration order, which reflection does not promise otherwise
            .Select(p =>
            {
                var instance = Expression.Parameter(typeof(object), "instance");
                var body = Expression.Convert(Expression.Property(Expression.Convert(instance, type), p), typeof(object));
                var getter = Expression.Lambda<Func<object, object?>>(body, instance).Compile();
                return (p.Name, p.PropertyType, getter);
            })
            .ToList();
        return new RecordAccessors(properties);
    }
}
