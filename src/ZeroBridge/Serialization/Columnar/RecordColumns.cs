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

    private RecordColumns(IReadOnlyList<(string Name, string Type, bool Nullable)> columns, Action<object, ColumnBuilder[]> append,
        Type listType, Action<object, int, int, ColumnBuilder[]> appendRange)
    {
        Columns = columns;
        Append = append;
        ListType = listType;
        AppendRange = appendRange;
    }

    /// <summary>One column per public readable property, in declaration order.</summary>
    public IReadOnlyList<(string Name, string Type, bool Nullable)> Columns { get; }

    /// <summary>Appends one record (never null) to builders made by <see cref="CreateBuilders"/>.</summary>
    public Action<object, ColumnBuilder[]> Append { get; }

    /// <summary><c>IReadOnlyList&lt;T&gt;</c> of the record type: the lists <see cref="AppendRange"/> reads.</summary>
    public Type ListType { get; }

    /// <summary>
    /// Appends the records <c>[start, end)</c> of an <see cref="ListType"/> list (nulls included) in one compiled
    /// loop: typed reads, builders cast once, no enumerator and no delegate call per row.
    /// </summary>
    public Action<object, int, int, ColumnBuilder[]> AppendRange { get; }

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

        var builders = Expression.Parameter(typeof(ColumnBuilder[]), "builders");
        var record = Expression.Variable(type, "record");
        var columns = new List<(string, string, bool)>();
        var builderVariables = new List<ParameterExpression>();
        var valueVariables = new List<ParameterExpression>();
        var bindBuilders = new List<Expression>();
        var appendRecord = new List<Expression>();
        var appendNulls = new List<Expression>();
        for (int i = 0; i < properties.Count; i++)
        {
            var property = properties[i];
            var (columnType, nullable) = ColumnTypes.For(property.PropertyType);
            columns.Add((property.Name, columnType, nullable));
            var storage = ColumnStorage.ElementType(columnType);
            var builderType = typeof(ColumnBuilder<>).MakeGenericType(storage);
            var builder = Expression.Variable(builderType, $"builder{i}");
            var value = Expression.Variable(property.PropertyType, $"value{i}");
            builderVariables.Add(builder);
            valueVariables.Add(value);
            bindBuilders.Add(Expression.Assign(builder, Expression.Convert(Expression.ArrayIndex(builders, Expression.Constant(i)), builderType)));
            appendRecord.Add(Expression.Assign(value, Expression.Property(record, property)));

            var appendNull = Expression.Call(builder, builderType.GetMethod(nameof(ColumnBuilder.AppendNull))!);
            appendNulls.Add(appendNull);
            var append = builderType.GetMethod(nameof(ColumnBuilder<int>.Append))!;
            var underlying = Nullable.GetUnderlyingType(property.PropertyType);
            if (underlying is not null)
            {
                var present = Expression.Call(builder, append,
                    ToStorage(Expression.Call(value, property.PropertyType.GetMethod("GetValueOrDefault", Type.EmptyTypes)!), storage));
                appendRecord.Add(Expression.IfThenElse(Expression.Property(value, "HasValue"), present, appendNull));
            }
            else if (!property.PropertyType.IsValueType)
            {
                var present = Expression.Call(builder, append, ToStorage(value, storage));
                appendRecord.Add(Expression.IfThenElse(Expression.Equal(value, Expression.Constant(null, property.PropertyType)), appendNull, present));
            }
            else
            {
                appendRecord.Add(Expression.Call(builder, append, ToStorage(value, storage)));
            }
        }
        appendRecord.Add(Expression.Empty());
        appendNulls.Add(Expression.Empty());

        // One record: (object instance, builders) => { bind builders; record = (T)instance; append its values }
        var instance = Expression.Parameter(typeof(object), "instance");
        var single = Expression.Lambda<Action<object, ColumnBuilder[]>>(Expression.Block(
            builderVariables.Concat(valueVariables).Append(record),
            bindBuilders.Append(Expression.Assign(record, Expression.Convert(instance, type)))
                .Append(Expression.Block(appendRecord))), instance, builders);

        // A range of a list: builders bound once, then a loop over list[i] with null records as null rows.
        var listType = typeof(IReadOnlyList<>).MakeGenericType(type);
        var source = Expression.Parameter(typeof(object), "source");
        var start = Expression.Parameter(typeof(int), "start");
        var end = Expression.Parameter(typeof(int), "end");
        var list = Expression.Variable(listType, "list");
        var index = Expression.Variable(typeof(int), "index");
        var done = Expression.Label("done");
        var item = listType.GetProperty("Item")!;
        Expression perRow = type.IsValueType
            ? Expression.Block(appendRecord)
            : Expression.IfThenElse(Expression.Equal(record, Expression.Constant(null, type)),
                Expression.Block(appendNulls), Expression.Block(appendRecord));
        var loop = Expression.Loop(
            Expression.IfThenElse(Expression.LessThan(index, end),
                Expression.Block(
                    Expression.Assign(record, Expression.Property(list, item, index)),
                    perRow,
                    Expression.PostIncrementAssign(index)),
                Expression.Break(done)),
            done);
        var range = Expression.Lambda<Action<object, int, int, ColumnBuilder[]>>(Expression.Block(
            builderVariables.Concat(valueVariables).Append(record).Append(list).Append(index),
            bindBuilders
                .Append(Expression.Assign(list, Expression.Convert(source, listType)))
                .Append(Expression.Assign(index, start))
                .Append(loop)), source, start, end, builders);

        return new RecordColumns(columns, single.Compile(), listType, range.Compile());
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
