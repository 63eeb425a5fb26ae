using ZeroBridge.Commands;
using ZeroBridge.Demo;
using ZeroBridge.Tasks;

namespace ZeroBridge.Tests.Tasks;

/// <summary>A C# worker's <see cref="ZeroBridgeTaskWorkerOptions.Prefetch"/>: tasks taken ahead wait for a slot.</summary>
public class TaskPrefetchTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_prefetching_worker_takes_its_prefetch_ahead_runs_one_at_a_time_and_holds_no_more()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int started = 0;
        var slowCommands = new CommandRegistry().Add("square", async (long x, CancellationToken cancellation) =>
        {
            Interlocked.Increment(ref started);
            await gate.Task.WaitAsync(cancellation);
            return x * x;
        });
        await using var producer = new ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions.Default with { Endpoint = "tcp://127.0.0.1:*" });
        await producer.StartAsync();
        await using var slow = new ZeroBridgeTaskWorker(slowCommands, producer.Endpoint,
            ZeroBridgeTaskWorkerOptions.Default with { Name = "slow", Prefetch = 1 }); // credit 1 + 1 ahead
        await using var fast = new ZeroBridgeTaskWorker(new CommandRegistry().AddDemoTasks(), producer.Endpoint,
            ZeroBridgeTaskWorkerOptions.Default with { Name = "fast" });
        await slow.StartAsync();
        await fast.StartAsync();
        await producer.WaitForWorkersAsync(2, Wait);

        var results = new List<TaskResult>();
        int startedAtTheGate = -1;
        await foreach (var result in producer.RunAsync("square", Enumerable.Range(0, 80), TaskRunOptions.Default with { Timeout = TimeSpan.FromSeconds(120) }))
        {
            results.Add(result);
            if (results.Count == 78)
            {
                startedAtTheGate = Volatile.Read(ref started);
                gate.SetResult(); // everything but the slow worker's two tasks is done
            }
        }

        Assert.All(results.Take(78), r => Assert.Equal("fast", r.Worker));
        Assert.All(results.Skip(78), r => Assert.Equal("slow", r.Worker));
        Assert.Equal(1, startedAtTheGate); // the task taken ahead waited for the one slot (Concurrency 1)
        Assert.Equal(Enumerable.Range(0, 80), results.Select(r => r.Index).Order());
    }
}
