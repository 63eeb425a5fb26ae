using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;

namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// The columns of a record type and one compiled method that appends a record's properties to typed column
/// builders, built once per type: no reflection and no boxing per row (enum names aside).
/// </summary>
internal sealed class RecordColumns
{
    private static readonly ConcurrentDictionary<Type, RecordColumns> Cache = new();

    private RecordColumns(IReadOnlyList<(string Name, string Type, bool Nullable)> columns, Action<object, ColumnBuilder[]> append)
    {
        Columns = columns;
        Append = append;
    }

    /// <summary>One column per public readable property, in declaration order.</summary>
    public IReadOnlyList<(string Name, string Type, bool Nullable)> Columns { get; }

    /// <summary>Appends one record (never null) to builders made by <see cref="CreateBuilders"/>.</summary>
    public Action<object, ColumnBuilder[]> Append { get; }

    public static RecordColumns For(Type recordType) => Cache.GetOrAdd(recordType, Build);

    public ColumnBuilder[] CreateBuilders(int capacity) =>
        Columns.Select(c => ColumnBuilder.Create(c.Name, c.Type, c.Nullable, capacity)).ToArray();

    /// <summary>Appends a null record: every column gets a null.</summary>
    public static void AppendNulls(ColumnBuilder[] builders)
    {
        foreach (var builder in builders)
            builder.AppendNull();
    }

    private static RecordColumns Build(Type type)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.GetMethod!.IsPublic)
            .OrderBy(p => p.MetadataToken) // declaration order, which reflection does not promise otherwise
            .ToList();

        var instance = Expression.Parameter(typeof(object), "instance");
        var builders = Expression.Parameter(typeof(ColumnBuilder[]), "builders");
        var record = Expression.Variable(type, "record");
        var body = new List<Expression> { Expression.Assign(record, Expression.Convert(instance, type)) };
        var variables = new List<ParameterExpression> { record };
        var columns = new List<(string, string, bool)>();
        for (int i = 0; i < properties.Count; i++)
        {
            var property = properties[i];
            var (columnType, nullable) = ColumnTypes.For(property.PropertyType);
            columns.Add((property.Name, columnType, nullable));
            var storage = ColumnStorage.ElementType(columnType);
            var builderType = typeof(ColumnBuilder<>).MakeGenericType(storage);
            var builder = Expression.Variable(builderType, $"builder{i}");
            var value = Expression.Variable(property.PropertyType, $"value{i}");
            variables.Add(builder);
            variables.Add(value);
            body.Add(Expression.Assign(builder, Expression.Convert(Expression.ArrayIndex(builders, Expression.Constant(i)), builderType)));
            body.Add(Expression.Assign(value, Expression.Property(record, property)));

            var appendNull = Expression.Call(builder, builderType.GetMethod(nameof(ColumnBuilder.AppendNull))!);
            var append = builderType.GetMethod(nameof(ColumnBuilder<int>.Append))!;
            var underlying = Nullable.GetUnderlyingType(property.PropertyType);
            if (underlying is not null)
            {
                var present = Expression.Call(builder, append,
                    ToStorage(Expression.Call(value, property.PropertyType.GetMethod("GetValueOrDefault", Type.EmptyTypes)!), storage));
                body.Add(Expression.IfThenElse(Expression.Property(value, "HasValue"), present, appendNull));
            }
            else if (!property.PropertyType.IsValueType)
            {
                var present = Expression.Call(builder, append, ToStorage(value, storage));
                body.Add(Expression.IfThenElse(Expression.Equal(value, Expression.Constant(null, property.PropertyType)), appendNull, present));
            }
            else
            {
                body.Add(Expression.Call(builder, append, ToStorage(value, storage)));
            }
        }
        var lambda = Expression.Lambda<Action<object, ColumnBuilder[]>>(Expression.Block(variables, body), instance, builders);
        return new RecordColumns(columns, lambda.Compile());
    }

    /// <summary>A property value converted to the column's storage type.</summary>
    private static Expression ToStorage(Expression value, Type storage)
    {
        var type = value.Type;
        if (type == storage)
            return value;
        if (storage == typeof(object))
            return Expression.Convert(value, typeof(object));
        if (storage == typeof(string))
            return Expression.Call(value, type.GetMethod(nameof(ToString), Type.EmptyTypes)!); // enums (names) and char
        if (type == typeof(DateOnly))
            return Expression.Call(value, typeof(DateOnly).GetMethod(nameof(DateOnly.ToDateTime), [typeof(TimeOnly)])!,
                Expression.Constant(TimeOnly.MinValue));
        if (type == typeof(TimeOnly))
            return Expression.Call(value, typeof(TimeOnly).GetMethod(nameof(TimeOnly.ToTimeSpan))!);
        if (storage == typeof(byte[]))
            return Expression.Call(value, type.GetMethod("ToArray", Type.EmptyTypes)!); // ReadOnlyMemory<byte>, Memory<byte>
        return Expression.Convert(value, storage);
    }
}
