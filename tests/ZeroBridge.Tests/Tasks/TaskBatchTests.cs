using ZeroBridge.Commands;
using ZeroBridge.Demo;
using ZeroBridge.Tasks;

namespace ZeroBridge.Tests.Tasks;

/// <summary>Batched tasks (docs/protocol.md §12.5) from the C# producer to C# and Python workers.</summary>
public class TaskBatchTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("dotnet")]
    [InlineData("python")]
    public async Task A_batch_runs_item_by_item_in_order_with_an_error_per_item(string language)
    {
        using var python = new PythonTaskWorkers();
        await using var producer = new ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions.Default with { Endpoint = "tcp://127.0.0.1:*" });
        await producer.StartAsync();
        await using var worker = new ZeroBridgeTaskWorker(new CommandRegistry().AddDemoTasks(), producer.Endpoint,
            ZeroBridgeTaskWorkerOptions.Default with { Name = "cs" });
        if (language == "dotnet")
            await worker.StartAsync();
        else
            python.Start(producer.Endpoint, "py");
        await producer.WaitForWorkersAsync(1, Wait);
        // Batches of 5, 5, 5, 5 and 3; the item at index 10 is not a number.
        object[] items = [.. Enumerable.Range(0, 10).Cast<object>(), "seven", .. Enumerable.Range(11, 12).Cast<object>()];
        var job = TaskRunOptions.Default with { Timeout = TimeSpan.FromSeconds(120), ChunkSize = 5 };

        var results = new List<TaskResult>();
        await foreach (var result in producer.RunAsync("square", items, job))
            results.Add(result);

        Assert.Equal(Enumerable.Range(0, 23), results.Select(r => r.Index)); // one worker: batches and items in order
        Assert.Equal(5, results.Select(r => r.Id).Distinct().Count());      // five messages, not 23
        Assert.False(results[10].Ok);
        Assert.Contains(results[10].Error!.Code, new[] { "invalid_argument", "command_failed" });
        Assert.All(results.Where(r => r.Index != 10), r => Assert.Equal((long)r.Index * r.Index, r.Get<long>()));
        var statistics = producer.Statistics;
        Assert.Equal((23L, 22L, 1L), (statistics.Submitted, statistics.Completed, statistics.Failed));
        var failure = await Assert.ThrowsAnyAsync<ZeroBridgeRemoteException>(() => producer.MapAsync("square", items, job));
        Assert.Equal(results[10].Error!.Code, failure.Code);
    }
}
