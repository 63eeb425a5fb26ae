using Microsoft.Data.Sqlite;
using ZeroBridge.Serialization;
using ZeroBridge.Serialization.Columnar;

namespace ZeroBridge.UnitTests.Serialization;

/// <summary>
/// Data readers over SQLite, whose values carry their own types: columns read typed while their values keep the first
/// row's type, and typed by their values (as boxed reads always were) when they do not.
/// </summary>
public sealed class DataReaderSourceTests : IDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");

    public DataReaderSourceTests()
    {
        _connection.Open();
        Execute("CREATE TABLE t (id INTEGER, v)");
    }

    public void Dispose() => _connection.Dispose();

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private void Insert(int rows, Func<int, string> value)
    {
        using var transaction = _connection.BeginTransaction();
        for (int i = 0; i < rows; i++)
            Execute($"INSERT INTO t VALUES ({i}, {value(i)})");
        transaction.Commit();
    }

    /// <summary>The chunks of <c>SELECT id, v FROM t ORDER BY id</c>, each at most about <paramref name="chunkBytes"/>.</summary>
    private List<TableData> Chunks(long chunkBytes)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT id, v FROM t ORDER BY id";
        using var source = new DataReaderSource(command.ExecuteReader(), ownsReader: true);
        var chunks = new List<TableData>();
        do
            chunks.Add(source.Next(chunkBytes));
        while (!source.Finished);
        return chunks;
    }

    private static object?[] Values(IEnumerable<TableData> chunks, string column) =>
        chunks.SelectMany(c => c[column].Values).ToArray();

    [Fact]
    public void Integers_then_reals_in_one_chunk_make_a_float64_column_with_every_value_exact()
    {
        Insert(3000, i => i % 1000 == 999 ? $"{i}.5" : $"{i}");
        var table = Assert.Single(Chunks(long.MaxValue));
        Assert.Equal(ColumnTypes.Int64, table["id"].Type);
        Assert.Equal(ColumnTypes.Float64, table["v"].Type);
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => (object?)(i % 1000 == 999 ? i + 0.5 : i)), table["v"].Values);
    }

    [Fact]
    public void A_column_whose_first_value_is_null_is_typed_by_the_values_that_follow()
    {
        Insert(2000, i => i % 3 == 0 ? "NULL" : $"'text {i}'");
        var table = Assert.Single(Chunks(long.MaxValue));
        Assert.Equal(ColumnTypes.String, table["v"].Type);
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => (object?)(i % 3 == 0 ? null : $"text {i}")), table["v"].Values);
    }

    [Fact]
    public void Text_and_integers_mixed_make_an_object_column_of_both()
    {
        Insert(2000, i => i == 1500 ? "'odd one'" : $"{i}");
        var table = Assert.Single(Chunks(long.MaxValue));
        Assert.Equal(ColumnTypes.Object, table["v"].Type);
        Assert.Equal("odd one", table["v"].Values[1500]);
        Assert.Equal(1499L, table["v"].Values[1499]);
    }

    [Fact]
    public void Chunks_keep_the_first_chunks_type_and_nullability_whether_read_typed_or_not()
    {
        // First chunk: integers with one real (float64) and no null; later chunks: integers only (read typed, int64
        // by themselves) with nulls. They must still arrive as float64 columns, and the nulls in place.
        Insert(20_000, i => i == 100 ? "0.25" : i > 5000 && i % 7 == 0 ? "NULL" : $"{i}");
        var chunks = Chunks(16 * 1024);

        Assert.True(chunks.Count > 3);
        Assert.All(chunks, c => Assert.Equal(ColumnTypes.Float64, c["v"].Type));
        Assert.All(chunks, c => Assert.Equal(ColumnTypes.Int64, c["id"].Type));
        Assert.Equal(Enumerable.Range(0, 20_000).Select(i => (object?)(i == 100 ? 0.25 : i > 5000 && i % 7 == 0 ? null : (double)i)),
            Values(chunks, "v"));
        Assert.Equal(Enumerable.Range(0, 20_000).Select(i => (object?)(long)i), Values(chunks, "id"));
    }

    [Fact]
    public void A_column_with_nulls_in_the_first_chunk_stays_nullable_in_chunks_without_any()
    {
        // Later chunks are read typed and hold no null: they must still say nullable, as the first chunk fixed it
        // (a client builds one dtype for the whole column).
        Insert(20_000, i => i < 500 && i % 2 == 1 ? "NULL" : $"{i}"); // row 0 has a value: its type is read typed
        var chunks = Chunks(16 * 1024);

        Assert.True(chunks.Count > 3);
        Assert.All(chunks, c => Assert.True(c["v"].Nullable));
        Assert.Equal(0, chunks.Last()["v"].NullCount);
        Assert.Equal(Enumerable.Range(0, 20_000).Select(i => (object?)(i < 500 && i % 2 == 1 ? null : (long)i)), Values(chunks, "v"));
    }
}
