using System.Text;
using MessagePack;
using Microsoft.Extensions.Logging.Abstractions;
using ZeroBridge.Protocol;
using ZeroBridge.Serialization;
using ZeroBridge.Tasks;

namespace ZeroBridge.UnitTests.Tasks;

/// <summary>The task producer's decisions without sockets: credit, the cap, re-sending, exactly one result per task.</summary>
public class CreditSchedulerTests
{
    private static readonly ZeroBridgeTaskProducerOptions Options = ZeroBridgeTaskProducerOptions.Default with
    {
        WorkerTimeout = TimeSpan.FromSeconds(5), MaxAttempts = 2, MaxCreditPerWorker = 3,
    };

    private readonly RecordingOutput _output = new();
    private readonly CreditScheduler _scheduler;
    private long _nextId;

    public CreditSchedulerTests() => _scheduler = new CreditScheduler(Options, _output, NullLogger.Instance);

    [Fact]
    public void A_worker_gets_as_many_tasks_as_its_credit_and_one_more_per_result()
    {
        Ready("w1", credit: 2);
        var job = Submit(4);
        _scheduler.Dispatch(0);
        Assert.Equal(["1 -> w1", "2 -> w1"], _output.Sent);

        Result("w1", 1);
        _scheduler.Dispatch(0);

        Assert.Equal(["1 -> w1", "2 -> w1", "3 -> w1"], _output.Sent);
        Assert.Equal(1, Delivered(job).Count);
    }

    [Fact]
    public void Credit_beyond_the_cap_is_not_granted()
    {
        Ready("w1", credit: 100);
        Submit(10);
        _scheduler.Dispatch(0);
        Assert.Equal(Options.MaxCreditPerWorker, _output.Sent.Count);
    }

    [Fact]
    public void Workers_with_credit_are_served_in_turn()
    {
        Ready("w1", credit: 2);
        Ready("w2", credit: 2);
        Submit(4);
        _scheduler.Dispatch(0);
        Assert.Equal(["1 -> w1", "2 -> w2", "3 -> w1", "4 -> w2"], _output.Sent);
    }

    [Fact]
    public void A_lost_workers_tasks_go_to_another_before_new_tasks()
    {
        Ready("w1", credit: 2);
        Submit(3);
        _scheduler.Dispatch(0);
        Ready("w2", credit: 1);
        Heard("w1", "bye");
        _scheduler.Dispatch(0);
        Assert.Equal(["1 -> w1", "2 -> w1", "1 -> w2"], _output.Sent);
        Assert.Equal((2L, 1L), (_scheduler.Resent, _scheduler.WorkersLost));
        Assert.Equal([["w1"], ["w1", "w2"], ["w2"]], _output.Workers);
    }

    [Fact]
    public void A_silent_worker_is_lost_after_the_worker_timeout_and_its_tasks_re_sent()
    {
        Ready("w1", credit: 1);
        Submit(1);
        _scheduler.Dispatch(0);
        Ready("w2", credit: 1, now: 4000);

        _scheduler.Tick(5000); // w1 was heard 5 s ago: not yet lost
        _scheduler.Dispatch(5000);
        Assert.Equal(["1 -> w1"], _output.Sent);

        _scheduler.Tick(5001);
        _scheduler.Dispatch(5001);
        Assert.Equal(["1 -> w1", "1 -> w2"], _output.Sent);
    }

    [Fact]
    public void A_task_sent_max_attempts_times_without_an_answer_ends_as_worker_lost()
    {
        Ready("w1", credit: 1);
        var job = Submit(1);
        _scheduler.Dispatch(0);
        Heard("w1", "bye");
        Ready("w2", credit: 1);
        _scheduler.Dispatch(0);
        Heard("w2", "bye");

        var result = Assert.Single(Delivered(job));
        Assert.False(result.Ok);
        Assert.Equal(2, result.Attempts);
        Assert.Equal(BrokerErrorCodes.WorkerLost, ErrorMap.Decode(result.Payload!, WireSerializer.BaseOptions).Code);
        Assert.True(job.Results.Reader.Completion.IsCompleted);
    }

    [Fact]
    public void A_late_task_is_re_sent_and_its_first_result_wins_the_second_is_a_duplicate()
    {
        var scheduler = new CreditScheduler(Options with { TaskTimeout = TimeSpan.FromSeconds(1) }, _output, NullLogger.Instance);
        scheduler.Heard(Id("w1"), Header("ready", credit: 1, name: "w1"), 0);
        var job = Submit(1, scheduler);
        scheduler.Dispatch(0);
        scheduler.Heard(Id("w2"), Header("ready", credit: 1, name: "w2"), 0);

        scheduler.Tick(1001);
        scheduler.Dispatch(1001);
        Assert.Equal(["1 -> w1", "1 -> w2"], _output.Sent);

        scheduler.Heard(Id("w2"), Header("result", id: 1), 1002, Payload(), []);
        scheduler.Heard(Id("w1"), Header("result", id: 1), 1003, Payload(), []);

        Assert.Equal("w2", Assert.Single(Delivered(job)).Worker);
        Assert.Equal(1, scheduler.Duplicates);
    }

    [Fact]
    public void Results_for_tasks_a_worker_was_not_given_are_ignored_and_earn_no_credit()
    {
        Ready("w1", credit: 1);
        var job = Submit(2);
        _scheduler.Dispatch(0);

        Result("w1", 2);   // never sent to w1
        Result("w1", 99);  // no such task
        _scheduler.Heard(Id("w1"), Header("result", rawId: MessagePackSerializer.Serialize("x")), 0, Payload(), []);
        _scheduler.Dispatch(0);

        Assert.Equal(["1 -> w1"], _output.Sent);
        Assert.Empty(Delivered(job));
        Assert.Equal(3, _scheduler.Duplicates);
    }

    [Fact]
    public void An_unreachable_worker_is_lost_and_the_task_goes_to_the_next()
    {
        Ready("w1", credit: 1);
        Ready("w2", credit: 1);
        _output.Unreachable.Add("w1");
        Submit(1);
        _scheduler.Dispatch(0);
        Assert.Equal(["1 -> w2"], _output.Sent);
        Assert.Equal((1L, 0L), (_scheduler.WorkersLost, _scheduler.Resent));
    }

    [Fact]
    public void An_abandoned_job_sends_nothing_more_and_its_late_results_are_dropped()
    {
        Ready("w1", credit: 1);
        var job = Submit(3);
        _scheduler.Dispatch(0);
        _scheduler.Abandon(job);
        Result("w1", 1);
        _scheduler.Dispatch(0);

        Assert.Equal(["1 -> w1"], _output.Sent);
        Assert.Empty(Delivered(job));
    }

    [Fact]
    public void Shutting_down_ends_running_jobs_with_the_error()
    {
        var job = Submit(1);
        _scheduler.ShutDown(new ObjectDisposedException("producer"));
        Assert.IsType<ObjectDisposedException>(job.Results.Reader.Completion.Exception?.InnerException);
    }

    private void Ready(string name, int credit, long now = 0) => _scheduler.Heard(Id(name), Header("ready", credit: credit, name: name), now);

    private void Heard(string name, string type) => _scheduler.Heard(Id(name), Header(type, name: name), 0);

    private void Result(string name, long id) => _scheduler.Heard(Id(name), Header("result", id: id), 0, Payload(), []);

    private TaskJob Submit(int count, CreditScheduler? scheduler = null)
    {
        var job = new TaskJob("square");
        for (int i = 0; i < count; i++)
            job.Tasks.Add(new PendingTask(++_nextId, i, job, [], []));
        (scheduler ?? _scheduler).Submit(job);
        return job;
    }

    private static List<RawTaskResult> Delivered(TaskJob job)
    {
        var results = new List<RawTaskResult>();
        while (job.Results.Reader.TryRead(out var result))
            results.Add(result);
        return results;
    }

    private static byte[] Id(string name) => Encoding.UTF8.GetBytes(name);

    private static byte[] Payload() => MessagePackSerializer.Serialize(1);

    private static TaskHeader Header(string type, long? id = null, int? credit = null, string? name = null, byte[]? rawId = null) =>
        new(type, rawId ?? (id is { } value ? MessagePackSerializer.Serialize(value) : ReadOnlyMemory<byte>.Empty), null, 0)
        {
            Credit = credit, Name = name, Ok = true,
        };

    /// <summary>Writes down what the scheduler asks to send, instead of sending it.</summary>
    private sealed class RecordingOutput : ITaskPoolOutput
    {
        public List<string> Sent { get; } = [];
        public List<IReadOnlyList<string>> Workers { get; } = [];
        public HashSet<string> Unreachable { get; } = [];

        public bool SendTask(PoolWorker worker, PendingTask task)
        {
            if (Unreachable.Contains(worker.Name))
                return false;
            Sent.Add($"{task.Id} -> {worker.Name}");
            return true;
        }

        public void WorkersChanged(IReadOnlyList<string> names) => Workers.Add(names);
    }
}
