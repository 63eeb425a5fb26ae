using ZeroBridge.Commands;
using ZeroBridge.Demo;
using ZeroBridge.Serialization;

namespace ZeroBridge.Tests.Demo;

/// <summary>One generated database for the class: generating it is the slow part.</summary>
public sealed class SampleDatabaseFixture : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("zerobridge-demo-").FullName;

    public SampleDatabaseFixture() => Database = SampleDatabase.OpenOrCreate(Path.Combine(_folder, "demo.db"));

    public SampleDatabase Database { get; }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}

public class DemoApplicationTests(SampleDatabaseFixture fixture) : IClassFixture<SampleDatabaseFixture>
{
    /// <summary>sql.query's rows, read to the end (the reader, and the connection it owns, disposed).</summary>
    private TableData Query(string text)
    {
        using var reader = new SqlService(fixture.Database).Query(text);
        return TableData.FromDataReader(reader);
    }

    [Fact]
    public void Generation_is_deterministic_and_complete()
    {
        var table = Query("SELECT COUNT(*) AS n FROM orders");
        Assert.Equal((long)SampleDatabase.OrderCount, table["n"].Values[0]);
        var again = new OrdersService(fixture.Database).Get(1);
        Assert.Equal(again, new OrdersService(fixture.Database).Get(1) with { Lines = again.Lines });
        Assert.NotEmpty(again.Lines);
    }

    [Fact]
    public void Recent_orders_are_newest_first()
    {
        var orders = new OrdersService(fixture.Database).Recent(5);
        Assert.Equal(5, orders.Count);
        Assert.Equal(orders.OrderByDescending(o => o.OrderedAt), orders);
        Assert.All(orders, o => Assert.Equal(DateTimeKind.Utc, o.OrderedAt.Kind));
    }

    [Fact]
    public void An_unknown_order_is_not_found()
    {
        Assert.Throws<NotFoundException>(() => new OrdersService(fixture.Database).Get(-1));
    }

    [Theory]
    [InlineData("DELETE FROM orders")]
    [InlineData("UPDATE customers SET name = 'x'")]
    [InlineData("CREATE TABLE t (x)")]
    public void Sql_query_refuses_writes(string statement)
    {
        Assert.Throws<PermissionDeniedException>(() => new SqlService(fixture.Database).Query(statement));
        Assert.Equal((long)SampleDatabase.OrderCount, Query("SELECT COUNT(*) AS n FROM orders")["n"].Values[0]);
    }

    [Fact]
    public void Sql_query_columns_are_typed_by_their_values()
    {
        var table = Query(
            "SELECT status, COUNT(*) AS n, SUM(total_cents) / 100.0 AS revenue, NULL AS missing FROM orders GROUP BY status");
        Assert.Equal(ColumnTypes.String, table["status"].Type);
        Assert.Equal(ColumnTypes.Int64, table["n"].Type);
        Assert.Equal(ColumnTypes.Float64, table["revenue"].Type);
        Assert.True(table["missing"].Nullable);
    }

    [Fact]
    public void Customers_find_escapes_like_wildcards()
    {
        var customers = new CustomersService(fixture.Database);
        Assert.NotEmpty(customers.Find("hopper"));
        Assert.Empty(customers.Find("%"));
    }
}
