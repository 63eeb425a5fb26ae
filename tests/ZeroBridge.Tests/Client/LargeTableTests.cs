using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Serialization;
using ZeroBridge.Serialization.Columnar;
using ZeroBridge.Server;
using ZeroBridge.Tests.Fixtures;

namespace ZeroBridge.Tests.Client;

/// <summary>
/// Lists large enough to be read by several threads (<see cref="RecordSource.ParallelRows"/> rows and more), whole and
/// in chunks whose storage is reused from one chunk to the next.
/// </summary>
public class LargeTableTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public sealed record Reading(long Id, string? Sensor, double? Value, DateTime At, int? Flag);

    /// <summary>Every column has nulls or repeats in a pattern that shows a row out of place.</summary>
    private static List<Reading> Readings(int count) => Enumerable.Range(0, count).Select(i => new Reading(
        i, i % 11 == 3 ? null : $"sensor-{i % 97}", i % 13 == 5 ? null : i * 0.25,
        new DateTime(2025, 1, 1).AddSeconds(i), i % 7 == 0 ? null : i % 1000)).ToList();

    private static RunningServer Serve(CommandRegistry commands, long chunkBytes) =>
        new(commands, ZeroBridgeServerOptions.Default with { TableChunkBytes = chunkBytes });

    [Theory]
    [InlineData(1L << 30)]  // one chunk: the whole list in one parallel read
    [InlineData(6L << 20)]  // ~6 MiB chunks: a parallel read in every chunk, storage handed from chunk to chunk
    public async Task A_list_read_in_parallel_arrives_in_order_with_every_null_in_place(long chunkBytes)
    {
        int count = RecordSource.ParallelRows * 4 + 123;
        var rows = Readings(count);
        await using var running = Serve(new CommandRegistry().Add("readings", () => rows), chunkBytes);
        var client = running.Client;

        var received = await client.CallAsync<List<Reading>>("readings", timeout: Timeout);

        Assert.Equal(count, received!.Count);
        for (int i = 0; i < count; i++)
            Assert.True(rows[i] == received[i], $"row {i}: sent {rows[i]}, received {received[i]}");
    }

    public sealed class Fragile(int id, int failAt)
    {
        public int Id => id;
        public string Name => id == failAt ? throw new InvalidOperationException($"record {id} is corrupt") : "ok";
    }

    [Fact]
    public async Task A_record_that_throws_during_a_parallel_read_fails_the_call_with_its_message_and_the_server_goes_on()
    {
        int count = RecordSource.ParallelRows * 2;
        var rows = Enumerable.Range(0, count).Select(i => new Fragile(i, failAt: count - 10)).ToList();
        await using var running = Serve(new CommandRegistry().Add("fragile", () => rows), 1L << 30);
        var client = running.Client;

        var error = await Assert.ThrowsAnyAsync<ZeroBridgeException>(() => client.CallAsync<TableData>("fragile", timeout: Timeout));

        Assert.Contains($"record {count - 10} is corrupt", error.Message);
        Assert.True(await client.PingAsync(Timeout));
    }
}
