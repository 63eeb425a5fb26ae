using System.Data;
using ZeroBridge.Commands;
using ZeroBridge.Serialization;

namespace ZeroBridge.TestHost;

/// <summary>Commands the Python table tests drive: every column type, each source kind, and the reverse direction.</summary>
public static class TableTestCommands
{
    /// <summary>An enum that travels as a pandas categorical.</summary>
    public enum Level { Low, Medium, High }

    /// <summary>A record with a property of every column type, nullable ones beside plain ones.</summary>
    public sealed record AllTypes(
        bool Flag, sbyte I8, short I16, int I32, long I64, byte U8, ushort U16, uint U32, ulong U64,
        float F32, double F64, decimal Money, string? Text, byte[]? Blob, DateTime At, DateTimeOffset AtTz,
        TimeSpan Took, Guid Id, Level Level, int? MaybeInt, bool? MaybeFlag, double? MaybeDouble,
        DateTime? MaybeAt, TimeSpan? MaybeTook, Guid? MaybeId, Level? MaybeLevel, decimal? MaybeMoney);

    /// <summary>The rows of <c>tables.types</c>: row i is a function of i, every third row null where it can be.</summary>
    public static IEnumerable<AllTypes> Types(int rows, bool nulls)
    {
        var epoch = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Unspecified);
        for (int i = 0; i < rows; i++)
        {
            bool none = nulls && i % 3 == 1;
            yield return new AllTypes(
                i % 2 == 0, (sbyte)(i % 100 - 50), (short)(i * 7 - 300), i * 1000 - 5, (long)i * 10_000_000_000L - 3,
                (byte)(i % 250), (ushort)(i * 3), (uint)i * 100_000u, (ulong)i * 10_000_000_000UL + ulong.MaxValue / 2,
                i + 0.5f, i * 1.25 - 0.1, 1234.5600m + i, none ? null : $"row {i} ü€😀", none ? null : [(byte)i, 0, 255],
                epoch.AddTicks(i * 1_234_567L), new DateTimeOffset(epoch.AddHours(i), TimeSpan.FromMinutes(150)),
                TimeSpan.FromMilliseconds(i * 1500.5) - TimeSpan.FromSeconds(1), new Guid(i, 2, 3, [4, 5, 6, 7, 8, 9, 10, (byte)i]),
                (Level)(i % 3), none ? null : i, none ? null : i % 2 == 1, none ? null : i / 4.0,
                none ? null : epoch.AddDays(i), none ? null : TimeSpan.FromMinutes(i), none ? null : new Guid(i, 0, 0, new byte[8]),
                none ? null : (Level)((i + 1) % 3), none ? null : i * 0.01m);
        }
    }

    /// <summary>Numeric columns built from arrays (<see cref="TableBuilder"/>): id, amount, at, and a nullable int.</summary>
    public static TableData Numbers(int rows)
    {
        var ids = new long[rows];
        var amounts = new double[rows];
        var at = new DateTime[rows];
        var counts = new int?[rows];
        var start = new DateTime(2020, 1, 1);
        for (int i = 0; i < rows; i++)
        {
            ids[i] = i;
            amounts[i] = i * 0.5;
            at[i] = start.AddSeconds(i);
            counts[i] = i % 10 == 0 ? null : i % 1000;
        }
        return new TableBuilder().Add("id", ids).Add("amount", amounts).Add("at", at).Add("count", counts).Build();
    }

    /// <summary>A DataTable of id, name and an often-null score.</summary>
    public static DataTable MakeDataTable(int rows)
    {
        var table = new DataTable();
        table.Columns.Add("id", typeof(int));
        table.Columns.Add("name", typeof(string));
        table.Columns.Add("score", typeof(double));
        for (int i = 0; i < rows; i++)
            table.Rows.Add(i, $"name {i}", i % 4 == 0 ? DBNull.Value : i * 1.5);
        return table;
    }

    /// <summary>Registers the table test commands under <c>tables.</c>.</summary>
    public static CommandRegistry AddTableTestCommands(this CommandRegistry commands) => commands
        .Add("tables.types", (int rows, bool nulls = false) => Types(rows, nulls), "Every column type; every third row null when asked.")
        .Add("tables.types_list", (int rows, bool nulls = false) => Types(rows, nulls).ToList(), "tables.types as a List (row count known).")
        .Add("tables.numbers", (int rows) => Numbers(rows), "Numeric columns from arrays.")
        .Add("tables.strings", (List<string?> values) => values.Select(v => new { Value = v }).ToList(), "One string column, as given.")
        .Add("tables.datatable", (int rows) => MakeDataTable(rows), "A DataTable.")
        .Add("tables.reader", (int rows) => (IDataReader)MakeDataTable(rows).CreateDataReader(), "A data reader, streamed.")
        .Add("tables.echo", (TableData table) => table, "Returns the table it was given.")
        .Add("tables.describe", (TableData table) => Describe(table), "What C# sees of a table, column by column.");

    /// <summary>Per column: type, element type, null count, and a typed aggregate where the type has one.</summary>
    public static Dictionary<string, Dictionary<string, object?>> Describe(TableData table) =>
        table.Columns.ToDictionary(c => c.Name, c => new Dictionary<string, object?>
        {
            ["type"] = c.Type,
            ["clr"] = c.ElementType.Name,
            ["rows"] = c.Length,
            ["nulls"] = c.NullCount,
            ["nullable"] = c.Nullable,
            ["sum"] = c.ElementType == typeof(long) ? Sum(c, c.GetValues<long>())
                : c.ElementType == typeof(int) ? Sum(c, c.GetValues<int>())
                : c.ElementType == typeof(double) ? Sum(c, c.GetValues<double>())
                : null,
            ["first"] = c.Length > 0 ? c.Values[0] : null,
            ["last"] = c.Length > 0 ? c.Values[^1] : null,
        });

    private static double Sum<T>(TableColumn column, ReadOnlySpan<T> values) where T : struct, IConvertible
    {
        double total = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (column.NullCount == 0 || !column.IsNull(i))
                total += values[i].ToDouble(null);
        }
        return total;
    }
}
