using System.Collections.Concurrent;
using MessagePack;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Commands;
using ZeroBridge.Demo;
using ZeroBridge.Tasks;

namespace ZeroBridge.Tests.Tasks;

public class TaskProducerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly TaskRunOptions Job = TaskRunOptions.Default with { Timeout = TimeSpan.FromSeconds(120) };

    private static async Task<ZeroBridgeTaskProducer> StartProducer(ZeroBridgeTaskProducerOptions? options = null)
    {
        var producer = new ZeroBridgeTaskProducer((options ?? ZeroBridgeTaskProducerOptions.Default) with { Endpoint = "tcp://127.0.0.1:*" });
        await producer.StartAsync();
        return producer;
    }

    private static async Task<ZeroBridgeTaskWorker> StartWorker(string endpoint, string name, int concurrency = 1)
    {
        var worker = new ZeroBridgeTaskWorker(new CommandRegistry().AddDemoTasks(), endpoint,
            ZeroBridgeTaskWorkerOptions.Default with { Name = name, Concurrency = concurrency });
        await worker.StartAsync();
        return worker;
    }

    private static async Task<List<TaskResult>> Collect(IAsyncEnumerable<TaskResult> results)
    {
        var list = new List<TaskResult>();
        await foreach (var result in results)
            list.Add(result);
        return list;
    }

    [Fact]
    public async Task CSharp_workers_run_every_task_once_and_report_progress()
    {
        await using var producer = await StartProducer();
        await using var first = await StartWorker(producer.Endpoint, "cs-1", concurrency: 2);
        await using var second = await StartWorker(producer.Endpoint, "cs-2");
        await producer.WaitForWorkersAsync(2, Wait);
        var progress = new Recorder();
        var results = await Collect(producer.RunAsync("square", Enumerable.Range(0, 300), Job with { Progress = progress }));
        Assert.Equal(Enumerable.Range(0, 300), results.Select(r => r.Index).Order());
        Assert.All(results, r => Assert.Equal((long)r.Index * r.Index, r.Get<long>()));
        Assert.Equal(2, results.Select(r => r.Worker).Distinct().Count());
        Assert.Equal(300, progress.Reports.Count);
        Assert.Equal(new TaskProgress(300, 300, 0, 2, 0), progress.Reports.Last());
        var statistics = producer.Statistics;
        Assert.Equal((300, 300, 0L, 0L), (statistics.Submitted, statistics.Completed, statistics.Failed, statistics.Duplicates));
    }

    [Fact]
    public async Task Keyword_arguments_and_map_in_order()
    {
        await using var producer = await StartProducer();
        await using var worker = await StartWorker(producer.Endpoint, "cs");
        await producer.WaitForWorkersAsync(1, Wait);
        var values = await producer.MapAsync("square", new long[] { 3, 1, 2 }, Job);
        Assert.Equal(new object?[] { 9L, 1L, 4L }, values.Select(v => (object?)Convert.ToInt64(v)).ToArray());
        var echoed = await Collect(producer.RunAsync("sleep", [new TaskArguments([], new Dictionary<string, object?> { ["ms"] = 1, ["value"] = "hi" })], Job));
        Assert.Equal("hi", Assert.Single(echoed).Value);
    }

    [Fact]
    public async Task Python_worker_processes_serve_a_CSharp_producer()
    {
        using var python = new PythonTaskWorkers();
        await using var producer = await StartProducer();
        python.Start(producer.Endpoint, "py-1");
        python.Start(producer.Endpoint, "py-2");
        await using var dotnet = await StartWorker(producer.Endpoint, "cs-1");
        await producer.WaitForWorkersAsync(3, Wait);
        var results = await Collect(producer.RunAsync("square", Enumerable.Range(0, 200), Job));
        Assert.Equal(Enumerable.Range(0, 200), results.Select(r => r.Index).Order());
        Assert.All(results, r => Assert.Equal((long)r.Index * r.Index, r.Get<long>()));
        Assert.Contains(results, r => r.Worker.StartsWith("py-"));
        Assert.Contains(results, r => r.Worker == "cs-1");
        var failure = Assert.Single(await Collect(producer.RunAsync("fail", ["boom"], Job)));
        Assert.False(failure.Ok);
        Assert.Equal("command_failed", failure.Error!.Code);
        Assert.Contains("boom", failure.Error.Message);
    }

    [Fact]
    public async Task A_worker_killed_mid_job_loses_nothing_and_doubles_nothing()
    {
        using var python = new PythonTaskWorkers();
        // A worker timeout a loaded machine's pauses cannot reach by accident (a healthy worker wrongly declared lost
        // would still be exactly-once, but would blur what this test shows).
        await using var producer = await StartProducer(ZeroBridgeTaskProducerOptions.Default with { WorkerTimeout = TimeSpan.FromSeconds(5) });
        var victim = python.Start(producer.Endpoint, "victim", ("ZB_HANG", "1")); // takes a task, never answers
        await producer.WaitForWorkersAsync(1, Wait);
        python.Start(producer.Endpoint, "healthy-1", ("ZB_DELAY", "0.002"));
        python.Start(producer.Endpoint, "healthy-2", ("ZB_DELAY", "0.002"));
        await producer.WaitForWorkersAsync(3, Wait);
        var seen = new List<TaskResult>();
        await foreach (var result in producer.RunAsync("square", Enumerable.Range(0, 200), Job))
        {
            seen.Add(result);
            if (seen.Count == 20)
                victim.Kill(); // SIGKILL: no goodbye, the producer notices the silence
        }
        Assert.Equal(Enumerable.Range(0, 200), seen.Select(r => r.Index).Order());
        Assert.Equal(200, seen.Select(r => r.Id).Distinct().Count());
        Assert.All(seen, r => Assert.True(r.Ok && r.Get<long>() == (long)r.Index * r.Index, python.Output()));
        Assert.DoesNotContain(seen, r => r.Worker == "victim");
        Assert.Contains(seen, r => r.Attempts == 2);
        Assert.True(producer.Statistics.WorkersLost >= 1);
        Assert.True(producer.Statistics.Resent >= 1);
    }

    [Fact]
    public async Task A_worker_running_a_blocking_command_keeps_its_heartbeats_and_its_task()
    {
        // The workload is a plain method that blocks longer than the producer waits for a silent worker: its
        // heartbeats must go on meanwhile, or the task is taken back and run again elsewhere.
        int started = 0;
        var commands = new CommandRegistry().Add("block", (int seconds) =>
        {
            Interlocked.Increment(ref started);
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            return seconds;
        });
        var fast = ZeroBridgeTaskWorkerOptions.Default with { HeartbeatInterval = TimeSpan.FromMilliseconds(200) };
        await using var producer = await StartProducer(ZeroBridgeTaskProducerOptions.Default with { WorkerTimeout = TimeSpan.FromSeconds(2) });
        await using var first = new ZeroBridgeTaskWorker(commands, producer.Endpoint, fast with { Name = "blocking-1" });
        await using var second = new ZeroBridgeTaskWorker(commands, producer.Endpoint, fast with { Name = "blocking-2" });
        await first.StartAsync();
        await second.StartAsync();
        await producer.WaitForWorkersAsync(2, Wait);

        var results = await Collect(producer.RunAsync("block", [4], Job));

        Assert.Equal(4, Assert.Single(results).Get<int>());
        Assert.True(Volatile.Read(ref started) == 1, $"run {started} times: {producer.Statistics}");
        Assert.Equal(0L, producer.Statistics.Duplicates);
    }

    [Fact]
    public async Task A_throwing_task_and_an_unknown_kind_give_error_results_and_the_pool_keeps_serving()
    {
        await using var producer = await StartProducer();
        await using var worker = await StartWorker(producer.Endpoint, "cs");
        await producer.WaitForWorkersAsync(1, Wait);
        var results = await Collect(producer.RunAsync("fail", ["boom", "bang"], Job));
        Assert.All(results, r => Assert.Equal("command_failed", r.Error!.Code));
        Assert.Equal("InvalidOperationException", results[0].Error!.RemoteType?.Split('.').Last());
        var thrown = await Assert.ThrowsAsync<ZeroBridgeRemoteException>(() => producer.MapAsync("fail", new[] { "first", "second" }, Job));
        Assert.Equal("first", thrown.Message);
        Assert.Equal("unknown_command", Assert.Single(await Collect(producer.RunAsync("no_such_kind", [1], Job))).Error!.Code);
        Assert.Equal("invalid_argument", Assert.Single(await Collect(producer.RunAsync("square", ["seven"], Job))).Error!.Code);
        Assert.Equal(new object?[] { 49L }, await producer.MapAsync("square", new[] { 7 }, Job));
        var failed = Assert.ThrowsAny<ZeroBridgeRemoteException>(() => results[0].Get<object>());
        Assert.Equal("command_failed", failed.Code);
    }

    [Fact]
    public async Task A_malformed_result_is_an_error_result_and_garbage_from_a_worker_is_ignored()
    {
        await using var producer = await StartProducer();
        using var worker = new RawWorker(producer.Endpoint);
        worker.Send(TaskWire.Header("ready", ("name", "raw"), ("credit", 1)));
        var results = producer.RunAsync("square", [1, 2], Job).GetAsyncEnumerator();
        var next = results.MoveNextAsync().AsTask();
        var (id, _) = worker.ReceiveTask();
        worker.SendFrames(new byte[] { 0xc1, 0xff }); // no signature: ignored
        worker.SendFrames(TaskWire.SignatureBytes, new byte[] { 0xc1 }); // undecodable header: ignored
        worker.Send(TaskWire.Header("result", ("id", 999_999L), ("ok", true)), MessagePackSerializer.Serialize(1)); // unknown id: dropped
        worker.Send(TaskWire.Header("result", ("id", id), ("ok", true)), new byte[] { 0xc1 }); // undecodable value
        Assert.True(await next.WaitAsync(Wait));
        Assert.False(results.Current.Ok);
        Assert.Equal("bad_request", results.Current.Error!.Code);
        var (second, _) = worker.ReceiveTask();
        worker.Send(TaskWire.Header("result", ("id", second), ("ok", true)), MessagePackSerializer.Serialize(4));
        Assert.True(await results.MoveNextAsync().AsTask().WaitAsync(Wait));
        Assert.Equal(4L, Convert.ToInt64(results.Current.Value));
        Assert.False(await results.MoveNextAsync());
        await results.DisposeAsync();
        Assert.Equal(1, producer.Statistics.Duplicates);
    }

    [Fact]
    public async Task A_task_resent_after_its_timeout_is_delivered_once()
    {
        await using var producer = await StartProducer(ZeroBridgeTaskProducerOptions.Default with { TaskTimeout = TimeSpan.FromMilliseconds(300) });
        using var slow = new RawWorker(producer.Endpoint);
        slow.Send(TaskWire.Header("ready", ("name", "slow"), ("credit", 1)));
        await producer.WaitForWorkersAsync(1, Wait);
        var results = producer.RunAsync("square", [5], Job).GetAsyncEnumerator();
        var next = results.MoveNextAsync().AsTask();
        var (id, attempt) = slow.ReceiveTask();
        Assert.Equal(1, attempt);
        using var steady = new RawWorker(producer.Endpoint);
        steady.Send(TaskWire.Header("ready", ("name", "steady"), ("credit", 1)));
        var (again, second) = steady.ReceiveTask(); // re-sent after the timeout
        Assert.Equal((id, 2L), (again, second));
        steady.Send(TaskWire.Header("result", ("id", id), ("ok", true)), MessagePackSerializer.Serialize(25));
        Assert.True(await next.WaitAsync(Wait));
        Assert.Equal("steady", results.Current.Worker);
        Assert.Equal(2, results.Current.Attempts);
        slow.Send(TaskWire.Header("result", ("id", id), ("ok", true)), MessagePackSerializer.Serialize(25)); // late: dropped
        Assert.False(await results.MoveNextAsync());
        await results.DisposeAsync();
        for (int i = 0; i < 1000 && producer.Statistics.Duplicates == 0; i++)
            await Task.Delay(10);
        Assert.Equal(1, producer.Statistics.Duplicates);
    }

    [Fact]
    public async Task A_task_never_answered_fails_with_worker_lost_after_max_attempts()
    {
        await using var producer = await StartProducer(ZeroBridgeTaskProducerOptions.Default with { TaskTimeout = TimeSpan.FromMilliseconds(100), MaxAttempts = 2 });
        using var silent = new RawWorker(producer.Endpoint);
        silent.Send(TaskWire.Header("ready", ("name", "silent"), ("credit", 5)));
        await producer.WaitForWorkersAsync(1, Wait);
        var next = Collect(producer.RunAsync("square", [5], Job));
        silent.ReceiveTask();
        silent.ReceiveTask();
        var result = Assert.Single(await next.WaitAsync(Wait));
        Assert.Equal("worker_lost", result.Error!.Code);
        Assert.Equal(2, result.Attempts);
    }

    [Fact]
    public async Task A_job_times_out_clearly_without_workers_and_waiting_for_workers_times_out()
    {
        await using var producer = await StartProducer();
        var timeout = await Assert.ThrowsAsync<ZeroBridgeTimeoutException>(() =>
            Collect(producer.RunAsync("square", [1], TaskRunOptions.Default with { Timeout = TimeSpan.FromMilliseconds(200) })));
        Assert.Contains("1 task(s) of 'square' unfinished", timeout.Message);
        await Assert.ThrowsAsync<ZeroBridgeTimeoutException>(() => producer.WaitForWorkersAsync(1, TimeSpan.FromMilliseconds(200)));
        // The abandoned task is not sent to a worker that arrives later; a new job is.
        await using var worker = await StartWorker(producer.Endpoint, "late");
        Assert.Equal(new object?[] { 4L }, await producer.MapAsync("square", new[] { 2 }, Job));
        Assert.Equal(1, worker.Completed);
    }

    private sealed class Recorder : IProgress<TaskProgress>
    {
        public ConcurrentQueue<TaskProgress> Reports { get; } = new();

        public void Report(TaskProgress value) => Reports.Enqueue(value);
    }

    /// <summary>A hand-made worker: a DEALER the test drives frame by frame.</summary>
    private sealed class RawWorker : IDisposable
    {
        private readonly DealerSocket _socket = new();

        public RawWorker(string endpoint)
        {
            _socket.Options.Linger = TimeSpan.Zero;
            _socket.Connect(endpoint);
        }

        public void Send(byte[] header, params byte[][] body) => SendFrames([TaskWire.SignatureBytes, header, .. body]);

        public void SendFrames(params byte[][] frames)
        {
            var message = new NetMQMessage();
            foreach (var frame in frames)
                message.Append(frame);
            _socket.SendMultipartMessage(message);
        }

        public (long Id, long Attempt) ReceiveTask()
        {
            var message = new NetMQMessage();
            Assert.True(_socket.TryReceiveMultipartMessage(Wait, ref message), "no task came");
            var header = TaskWire.Parse(message[1].ToByteArray());
            Assert.Equal("task", header.Type);
            return (header.IntegerId!.Value, header.Attempt);
        }

        public void Dispose() => _socket.Dispose();
    }
}
