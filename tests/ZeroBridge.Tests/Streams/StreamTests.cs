using System.Collections.Concurrent;
using NetMQ;
using ZeroBridge.Commands;
using ZeroBridge.Streams;
using ZeroBridge.Tasks;

namespace ZeroBridge.Tests.Streams;

public class SequenceTrackerTests
{
    [Fact]
    public void Consecutive_sequences_deliver_and_a_jump_is_a_gap_of_the_missing_count()
    {
        var tracker = new SequenceTracker();
        Assert.Equal(SequenceTracker.Verdict.Deliver, tracker.Observe("p", 1, "t", 5).Verdict);
        Assert.Null(tracker.Observe("p", 1, "t", 6).Gap);
        var (verdict, gap) = tracker.Observe("p", 1, "t", 10);
        Assert.Equal(SequenceTracker.Verdict.Deliver, verdict);
        Assert.Equal(3, gap!.Missed);
        Assert.Equal(SequenceTracker.Verdict.Duplicate, tracker.Observe("p", 1, "t", 9).Verdict);
    }

    [Fact]
    public void A_newer_epoch_is_a_restart_and_an_older_one_is_stale()
    {
        var tracker = new SequenceTracker();
        tracker.Observe("p", 100, "t", 50);
        var (restart, stale) = tracker.ObserveEpoch("p", 200);
        Assert.Equal(StreamEventKind.Restart, restart!.Kind);
        Assert.False(stale);
        Assert.Null(tracker.Observe("p", 200, "t", 1).Gap); // sequences start again
        Assert.Equal(SequenceTracker.Verdict.Stale, tracker.Observe("p", 100, "t", 51).Verdict);
    }

    [Fact]
    public void A_snapshot_seed_makes_older_updates_duplicates()
    {
        var tracker = new SequenceTracker();
        tracker.Seed("p", 1, "t", 7);
        Assert.Equal(SequenceTracker.Verdict.Duplicate, tracker.Observe("p", 1, "t", 7).Verdict);
        Assert.Null(tracker.Observe("p", 1, "t", 8).Gap);
    }

    [Fact]
    public void A_batch_run_skips_what_was_delivered_and_reports_what_is_missing_before_it()
    {
        var tracker = new SequenceTracker();
        Assert.Equal((SequenceTracker.Verdict.Deliver, 0L), Verdict(tracker.ObserveRun("p", 1, "t", 1, 3)));  // 1..3
        var (verdict, skip, gap) = tracker.ObserveRun("p", 1, "t", 6, 2);                                   // 6..7
        Assert.Equal((SequenceTracker.Verdict.Deliver, 0L, 2L), (verdict, skip, gap!.Missed));
        Assert.Equal((SequenceTracker.Verdict.Deliver, 1L), Verdict(tracker.ObserveRun("p", 1, "t", 7, 3)));  // 7 again
        Assert.Equal((SequenceTracker.Verdict.Duplicate, 2L), Verdict(tracker.ObserveRun("p", 1, "t", 2, 2)));
        Assert.Null(tracker.Observe("p", 1, "t", 10).Gap);

        static (SequenceTracker.Verdict, long) Verdict((SequenceTracker.Verdict Verdict, long Skip, StreamEvent? Gap) run)
        {
            Assert.Null(run.Gap);
            return (run.Verdict, run.Skip);
        }
    }

    [Fact]
    public void Headers_round_trip_and_garbage_is_a_protocol_error()
    {
        var header = new StreamHeader("data", "me", 123, 456, 1000, Sequence: 9);
        Assert.Equal(header, StreamWire.DecodeHeader(StreamWire.EncodeHeader(header)));
        Assert.Throws<ZeroBridgeProtocolException>(() => StreamWire.DecodeHeader(new byte[] { 0xc1 }));
        Assert.Throws<ZeroBridgeProtocolException>(() => StreamWire.DecodeHeader(new byte[] { 0x80 }));
    }
}

public class PublisherSubscriberTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Snapshot_then_live_values_with_no_gap_and_no_duplicate()
    {
        await using var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*", SnapshotEndpoint = "tcp://127.0.0.1:*", HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            SendHighWatermark = 0, // no drops here: any gap would be the snapshot hand-over's fault
        });
        await publisher.StartAsync();
        for (int i = 0; i < 10; i++)
            publisher.Publish("prices.A", new { Price = i });
        var events = new ConcurrentQueue<StreamEvent>();
        await using var subscriber = new ZeroBridgeSubscriber(publisher.Endpoint, ["prices."], ZeroBridgeSubscriberOptions.Default with
        {
            SnapshotEndpoint = publisher.SnapshotEndpoint, OnEvent = events.Enqueue, ReceiveHighWatermark = 0,
        });
        using var publishing = new CancellationTokenSource();
        var background = Task.Run(async () =>
        {
            while (!publishing.IsCancellationRequested)
            {
                for (int i = 0; i < 10; i++)
                    publisher.Publish("prices.A", new { Price = -1 });
                await Task.Delay(1);
            }
        });
        await subscriber.StartAsync();
        var first = await subscriber.ReadAsync(Wait);
        Assert.True(first!.IsSnapshot);
        long expected = first.Sequence + 1;
        for (int i = 0; i < 200; i++)
        {
            var next = await subscriber.ReadAsync(Wait);
            Assert.NotNull(next);
            Assert.False(next.IsSnapshot);
            Assert.Equal(expected++, next.Sequence);
        }
        publishing.Cancel();
        await background;
        Assert.Empty(events);
        Assert.Equal(0, subscriber.Statistics.Gaps);
    }

    [Fact]
    public async Task A_published_batch_arrives_value_by_value_with_its_own_sequences()
    {
        await using var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*", SnapshotEndpoint = "tcp://127.0.0.1:*", HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        });
        await publisher.StartAsync();
        publisher.Publish("b.x", -1);
        var events = new ConcurrentQueue<StreamEvent>();
        await using var subscriber = new ZeroBridgeSubscriber(publisher.Endpoint, ["b."], ZeroBridgeSubscriberOptions.Default with
        {
            SnapshotEndpoint = publisher.SnapshotEndpoint, OnEvent = events.Enqueue,
        });
        await subscriber.StartAsync(); // after the snapshot: every later message reaches it
        Assert.Equal(1, (await subscriber.ReadAsync(Wait))!.Sequence);
        long last = 0;
        for (int batch = 0; batch < 3; batch++)
            last = publisher.PublishBatch("b.x", Enumerable.Range(batch * 4, 4).Select(i => (object?)i));
        long after = publisher.Publish("b.x", 12);
        Assert.Equal((13L, 14L), (last, after));

        var values = new List<StreamMessage>();
        for (int i = 0; i < 13; i++)
            values.Add((await subscriber.ReadAsync(Wait))!);

        Assert.Equal(Enumerable.Range(2, 13).Select(i => (long)i), values.Select(m => m.Sequence));
        Assert.Equal(Enumerable.Range(0, 13).Select(i => (long)i), values.Select(m => Convert.ToInt64(m.Value)));
        Assert.Empty(events);
        Assert.Equal(0, subscriber.Statistics.Gaps);
        Assert.Equal(14, publisher.Published);
    }

    [Fact]
    public async Task Drops_at_a_tiny_high_water_mark_show_up_as_gaps()
    {
        await using var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*", SendHighWatermark = 1,
        });
        await publisher.StartAsync();
        await using var subscriber = new ZeroBridgeSubscriber(publisher.Endpoint, ["flood"], ZeroBridgeSubscriberOptions.Default with
        {
            ReceiveHighWatermark = 1, BufferCapacity = 1,
        });
        await subscriber.StartAsync();
        string pad = new('x', 1000);
        long last = 0;
        for (int i = 0; i < 20_000; i++)
            last = publisher.Publish("flood", pad);
        long received = 0, highest = 0;
        while (highest < last)
        {
            var message = await subscriber.ReadAsync(TimeSpan.FromSeconds(1));
            if (message is null)
            {
                last = publisher.Publish("flood", pad); // the last ones may have been dropped too
                continue;
            }
            received++;
            highest = message.Sequence;
        }
        var stats = subscriber.Statistics;
        Assert.True(received < last, "nothing was dropped: the test proves nothing");
        Assert.True(stats.Gaps + stats.Overflowed > 0);
    }

    [Fact]
    public async Task A_silent_publisher_is_reported()
    {
        var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*", HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        });
        await publisher.StartAsync();
        var silent = new TaskCompletionSource<StreamEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscriber = new ZeroBridgeSubscriber(publisher.Endpoint, ["x"], ZeroBridgeSubscriberOptions.Default with
        {
            OnEvent = e => { if (e.Kind == StreamEventKind.Silent) silent.TrySetResult(e); },
        });
        await subscriber.StartAsync();
        Assert.False(subscriber.IsSilent);
        await publisher.DisposeAsync();
        var reported = await silent.Task.WaitAsync(Wait);
        Assert.True(subscriber.IsSilent);
        Assert.Equal(1, subscriber.Statistics.Silences);
        Assert.Contains("silent", reported.Message);
    }
}

public class TaskWorkerTests
{
    [Fact]
    public async Task A_registered_method_is_a_task_worker_and_errors_come_back_as_results()
    {
        using var router = new NetMQ.Sockets.RouterSocket();
        router.Options.Linger = TimeSpan.Zero;
        int port = router.BindRandomPort("tcp://127.0.0.1");
        await using var worker = new ZeroBridgeTaskWorker(new CommandRegistry()
            .Add("square", (int x) => x * x)
            .Add("fail", Func<int>(() => throw new InvalidOperationException("boom"))), $"tcp://127.0.0.1:{port}");
        await worker.StartAsync();

        NetMQ.NetMQMessage Receive()
        {
            var message = new NetMQ.NetMQMessage();
            Assert.True(router.TryReceiveMultipartMessage(TimeSpan.FromSeconds(10), ref message));
            return message;
        }

        var ready = Receive();
        var identity = ready[0].ToByteArray();
        Assert.Equal("ready", TaskWire.Parse(ready[2].ToByteArray()).Type);

        void Send(int id, string kind, object?[] positional)
        {
            var message = new NetMQ.NetMQMessage();
            message.Append(identity);
            message.Append(TaskWire.SignatureBytes);
            message.Append(TaskWire.Header("task", ("id", id), ("kind", kind), ("attempt", 1)));
            message.Append(MessagePack.MessagePackSerializer.Serialize(new object?[] { positional, new Dictionary<string, object?>() }));
            router.SendMultipartMessage(message);
        }

        (bool Ok, object? Payload) Result()
        {
            while (true)
            {
                var message = Receive();
                var header = MessagePack.MessagePackSerializer.Deserialize<Dictionary<string, object?>>(message[2].ToByteArray());
                if ((string)header["type"]! == "result")
                    return ((bool)header["ok"]!, MessagePack.MessagePackSerializer.Deserialize<object?>(message[3].ToByteArray()));
            }
        }

        Send(1, "square", [12]);
        Assert.Equal((true, (object?)(byte)144), Result());
        Send(2, "fail", []);
        var (ok, payload) = Result();
        Assert.False(ok);
        Assert.Equal("command_failed", ((Dictionary<object, object?>)payload!)["code"]);
    }

    private static Func<T> Func<T>(Func<T> f) => f;
}
