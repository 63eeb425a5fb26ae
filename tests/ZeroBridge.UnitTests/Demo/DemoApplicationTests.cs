using ZeroBridge.Commands;
using ZeroBridge.Demo;
using ZeroBridge.Serialization;

namespace ZeroBridge.UnitTests.Demo;

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

    [Theory]
    [InlineData("PRAGMA query_only = OFF")]
    [InlineData("PRAGMA writable_schema = ON")]
    [InlineData("VACUUM INTO '{folder}/copy.db'")]
    [InlineData("ATTACH DATABASE '{other}' AS other")]
    [InlineData("BEGIN IMMEDIATE")]
    public void Sql_query_refuses_what_a_read_only_connection_would_still_run(string statement)
    {
        // A second, existing SQLite file: ATTACH would read it, VACUUM INTO would write a copy beside it.
        string folder = Directory.CreateTempSubdirectory("zerobridge-sql-").FullName;
        try
        {
            string other = Path.Combine(folder, "other.db");
            using (var create = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={other};Pooling=False"))
            {
                create.Open();
                using var command = create.CreateCommand();
                command.CommandText = "CREATE TABLE secrets (x); INSERT INTO secrets VALUES ('s3cret')";
                command.ExecuteNonQuery();
            }
            var sql = new SqlService(fixture.Database);
            string text = statement.Replace("{folder}", folder).Replace("{other}", other);
            Assert.ThrowsAny<Exception>(() => TableData.FromDataReader(sql.Query(text)));
            Assert.False(File.Exists(Path.Combine(folder, "copy.db")), "VACUUM INTO wrote a copy of the database");
            // Nothing stays attached for the next call on a reused connection.
            Assert.ThrowsAny<Exception>(() => Query("SELECT * FROM other.secrets"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("PRAGMA query_only = OFF")]
    [InlineData("VACUUM INTO '/tmp/zerobridge-never.db'")]
    [InlineData("ATTACH DATABASE ':memory:' AS other")]
    public void Sql_query_reports_a_refused_statement_as_permission_denied(string statement)
    {
        Assert.Throws<PermissionDeniedException>(() => new SqlService(fixture.Database).Query(statement));
    }

    [Fact]
    public void Sql_query_still_describes_the_schema()
    {
        var columns = Query("PRAGMA table_info(orders)");
        Assert.Contains("status", columns["name"].Values.Cast<string>());
    }

    [Fact]
    public async Task A_runaway_sql_query_stops_when_its_caller_gives_up()
    {
        using var cancellation = new CancellationTokenSource();
        // Unbounded: without the guard this reads forever, on whichever thread reads the rows.
        var reading = Task.Run(() =>
        {
            using var reader = new SqlService(fixture.Database).Query(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n WHERE i < 0",
                cancellation.Token);
            while (reader.Read())
            {
            }
        });
        cancellation.Cancel();
        // The bound only guards against a hang; an interrupted query ends within milliseconds.
        var finished = await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.Same(reading, finished);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => reading);
        Assert.True(error is OperationCanceledException || error is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 9 },
            $"expected an interrupt, got {error}");
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
