using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Serialization;
using ZeroBridge.Server;
using ZeroBridge.Tests.Fixtures;
using ZeroBridge.TestRecords;

namespace ZeroBridge.Tests.Client;

/// <summary>The C# client fetching tables the server sends in chunks (docs/protocol.md §10.3).</summary>
public class ChunkedTableClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static List<Typed> Rows(int count) => Enumerable.Range(0, count).Select(i => new Typed(
        i, i * 0.5, i % 3 == 1 ? null : $"ü{i % 50}", new DateTime(2024, 1, 1).AddMinutes(i),
        new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.FromHours(2)).AddDays(i), TimeSpan.FromSeconds(i),
        new Guid(i, 1, 2, [1, 2, 3, 4, 5, 6, 7, 8]), 1.10m * i, i % 2 == 0, i % 3 == 1 ? null : [(byte)i],
        (Shade)(i % 2), i % 7 == 1 ? null : i, i % 3 == 1 ? null : new DateTime(2000, 1, 1).AddDays(i))).ToList();

    private static RunningServer Serve(CommandRegistry commands, int maxCursors = 64) =>
        new(commands, ZeroBridgeServerOptions.Default with
        {
            TableChunkBytes = 4096, MaxOpenTableCursors = maxCursors, TableCursorIdleTimeout = TimeSpan.FromMinutes(10),
        });

    private static void AssertSameTable(TableData expected, TableData actual)
    {
        Assert.Equal(expected.RowCount, actual.RowCount);
        Assert.Equal(expected.Columns.Select(c => c.Name), actual.Columns.Select(c => c.Name));
        foreach (var column in expected.Columns)
        {
            var received = actual[column.Name];
            Assert.Equal(column.NullCount, received.NullCount);
            for (int row = 0; row < expected.RowCount; row++)
            {
                object? want = column.Values[row], got = received.Values[row];
                if (want is byte[] bytes)
                    Assert.Equal(bytes, Assert.IsType<byte[]>(got));
                else
                    Assert.True(Equals(want, got), $"{column.Name}[{row}]: expected {want}, got {got}");
            }
        }
    }

    [Fact]
    public async Task A_streamed_reader_whose_column_changes_type_after_the_first_chunk_is_an_error_not_a_silent_conversion()
    {
        var commands = new CommandRegistry().Add("drifting", () =>
        {
            var table = new System.Data.DataTable();
            table.Columns.Add("value", typeof(object)); // as SQLite: each value has its own type
            for (int i = 0; i < 5000; i++)
                table.Rows.Add(i < 4000 ? (object)(long)i : i + 0.5);
            return (System.Data.IDataReader)table.CreateDataReader();
        });
        await using var running = Serve(commands);
        var client = running.Client;
        var error = await Assert.ThrowsAsync<ZeroBridgeRemoteException>(() => client.CallAsync<TableData>("drifting", timeout: Timeout));
        Assert.Contains("Column 'value'", error.Message);
        Assert.Contains("first chunk", error.Message);
        Assert.True(await client.PingAsync(Timeout));
    }

    [Fact]
    public async Task A_table_sent_in_many_chunks_arrives_whole_and_equal_to_the_source()
    {
        var rows = Rows(3000);
        await using var running = Serve(new CommandRegistry().Add("rows", () => rows), maxCursors: 1);
        var client = running.Client;

        var table = await client.CallAsync<TableData>("rows", timeout: Timeout);

        AssertSameTable(TableData.FromRecords(rows), table!);
        Assert.Equal(ColumnTypes.Category, table!["Shade"].Type);
        // The cursor was read to its end: the server's only cursor slot is free for the next call.
        var again = await client.CallAsync<TableData>("rows", timeout: Timeout);
        Assert.Equal(rows.Count, again!.RowCount);
    }

    [Fact]
    public async Task Tables_of_unknown_length_nested_in_a_reply_are_completed_in_place()
    {
        var rows = Rows(2500);
        await using var running = Serve(new CommandRegistry().Add("both", () => new Dictionary<string, object?>
        {
            ["lazy"] = rows.Where(_ => true), // no count in advance: the client grows its columns
            ["small"] = rows.Take(3).ToList(),
            ["known"] = rows.Take(2000).ToList(),
        }));
        var client = running.Client;

        var reply = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(await client.CallAsync("both", timeout: Timeout));

        AssertSameTable(TableData.FromRecords(rows), Assert.IsType<TableData>(reply["lazy"]));
        AssertSameTable(TableData.FromRecords(rows.Take(3)), Assert.IsType<TableData>(reply["small"]));
        AssertSameTable(TableData.FromRecords(rows.Take(2000)), Assert.IsType<TableData>(reply["known"]));
    }

    public sealed record Item(long Id, string? Name, int? Maybe);

    [Fact]
    public async Task A_chunked_table_read_as_records_arrives_whole()
    {
        var rows = Enumerable.Range(0, 3000).Select(i => new Item(i, i % 5 == 0 ? null : $"n{i}", i % 7 == 0 ? null : i)).ToList();
        await using var running = Serve(new CommandRegistry().Add("items", () => rows));
        var client = running.Client;

        var records = await client.CallAsync<List<Item>>("items", timeout: Timeout);

        Assert.Equal(rows, records);
    }

    [Fact]
    public async Task A_reply_that_cannot_be_read_closes_its_table_cursor_on_the_server()
    {
        var rows = Rows(2000);
        await using var running = Serve(new CommandRegistry().Add("rows", () => rows), maxCursors: 1);
        var client = running.Client;

        await Assert.ThrowsAsync<ZeroBridgeSerializationException>(() => client.CallAsync<int>("rows", timeout: Timeout));

        // The only cursor slot frees once table.close arrives (the close is not awaited; without it the cursor
        // would stay open for the 10 minute idle timeout and every further chunked reply would fail).
        TableData? table = null;
        var deadline = DateTime.UtcNow + Timeout;
        while (table is null)
        {
            try
            {
                table = await client.CallAsync<TableData>("rows", timeout: Timeout);
            }
            catch (ZeroBridgeRemoteException) when (DateTime.UtcNow < deadline)
            {
                await Task.Yield();
            }
        }
        Assert.Equal(rows.Count, table.RowCount);
    }
}
