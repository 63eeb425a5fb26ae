using System.Collections.Concurrent;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Transport;

namespace ZeroBridge.Tests.Transport;

/// <summary>The one socket thread every component runs on: where work runs, and what stopping drains.</summary>
public class SocketLoopTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Work_handed_from_other_threads_runs_on_the_loops_named_background_thread()
    {
        using var loop = new SocketLoop();
        var threads = new ConcurrentBag<(string? Name, bool Background)>();
        var queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var queue = loop.Queue<int>(_ =>
        {
            threads.Add((Thread.CurrentThread.Name, Thread.CurrentThread.IsBackground));
            queued.TrySetResult();
        });
        loop.Start("loop under test");

        await Task.Run(() => loop.InvokeAsync(() => threads.Add((Thread.CurrentThread.Name, Thread.CurrentThread.IsBackground))))
            .WaitAsync(Wait);
        queue.Enqueue(1);
        await queued.Task.WaitAsync(Wait);

        Assert.Equal(2, threads.Count);
        Assert.All(threads, thread => Assert.Equal(("loop under test", true), thread));
        await loop.StopAsync();
    }

    [Fact]
    public async Task Stopping_handles_everything_queued_before_it_then_runs_the_last_work_then_disposes()
    {
        var loop = new SocketLoop();
        var handled = new List<string>(); // touched on the loop's thread only
        var gate = new ManualResetEventSlim();
        var queue = loop.Queue<int>(item =>
        {
            gate.Wait(Wait); // holds the thread until every item is queued: stopping must find them waiting
            handled.Add($"item {item}");
        }, batch: 1);
        loop.Start("draining loop");
        for (int i = 0; i < 50; i++)
            queue.Enqueue(i);

        var stopping = loop.StopAsync(() => handled.Add("last"));
        gate.Set();
        Assert.True(await stopping.WaitAsync(Wait));

        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"item {i}").Append("last"), handled);
        Assert.False(loop.IsRunning);
        Assert.True(queue.IsDisposed); // the loop closed what it owned
    }

    [Fact]
    public async Task A_receiving_socket_hands_over_every_message_whole_and_in_order_on_the_loops_thread()
    {
        var loop = new SocketLoop();
        var received = new List<string>(); // touched on the loop's thread only
        var threads = new HashSet<string?>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = loop.Receive(new PairSocket(), TimeSpan.FromMilliseconds(50), message =>
        {
            received.Add(string.Join("|", message.Select(frame => frame.ConvertToString())));
            threads.Add(Thread.CurrentThread.Name);
            if (received.Count == 500)
                all.TrySetResult();
        });
        string endpoint = $"inproc://receiving-{Guid.NewGuid():N}";
        server.Bind(endpoint);
        loop.Start("receiving loop");
        using (var client = new PairSocket(">" + endpoint))
        {
            for (int i = 0; i < 500; i++)
                client.SendMoreFrame($"{i}").SendFrame("end");
            await all.Task.WaitAsync(Wait);
        }

        Assert.True(await loop.StopAsync().WaitAsync(Wait));
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"{i}|end"), received);
        Assert.Equal(["receiving loop"], threads);
        Assert.True(server.IsDisposed);
    }

    [Fact]
    public async Task Timers_posted_work_and_stopping_still_run_while_a_receiving_socket_never_falls_quiet()
    {
        var loop = new SocketLoop();
        long handled = 0; // written on the loop's thread only
        var flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = loop.Receive(new PairSocket(), TimeSpan.FromMilliseconds(50), _ =>
        {
            if (++handled == 1000)
                flowing.TrySetResult();
        });
        var tickedWhileFlowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Every(TimeSpan.FromMilliseconds(10), () =>
        {
            if (handled >= 1000)
                tickedWhileFlowing.TrySetResult();
        });
        string endpoint = $"inproc://busy-{Guid.NewGuid():N}";
        server.Bind(endpoint);
        loop.Start("busy loop");
        using var senderStop = new CancellationTokenSource();
        var sender = Task.Run(() =>
        {
            using var client = new PairSocket(">" + endpoint);
            client.Options.Linger = TimeSpan.Zero;
            while (!senderStop.IsCancellationRequested) // never pauses: the loop always has a message waiting
                client.TrySendFrame(TimeSpan.FromMilliseconds(100), "x");
        });

        await flowing.Task.WaitAsync(Wait);
        long seenByPostedWork = await InvokeAsync(loop, () => handled).WaitAsync(Wait);
        await tickedWhileFlowing.Task.WaitAsync(Wait);
        bool drained = await loop.StopAsync().WaitAsync(Wait);
        senderStop.Cancel();
        await sender.WaitAsync(Wait);

        Assert.True(seenByPostedWork >= 1000);
        Assert.True(drained);
        Assert.False(loop.IsRunning);
    }

    private static async Task<T> InvokeAsync<T>(SocketLoop loop, Func<T> read)
    {
        T value = default!;
        await loop.InvokeAsync(() => value = read());
        return value;
    }

    [Fact]
    public async Task A_loop_that_never_started_closes_its_queues_and_sockets_on_stop()
    {
        var loop = new SocketLoop();
        var queue = loop.Queue<int>(_ => { });
        var socket = loop.Own(new NetMQ.Sockets.PairSocket());

        Assert.True(await loop.StopAsync(() => throw new InvalidOperationException("a loop that never ran has no last work")));

        Assert.True(queue.IsDisposed);
        Assert.True(socket.IsDisposed);
        Assert.Throws<InvalidOperationException>(() => loop.Start("too late"));
    }

    [Fact]
    public async Task A_loop_starts_once()
    {
        using var loop = new SocketLoop();
        loop.Start("once");
        Assert.Throws<InvalidOperationException>(() => loop.Start("twice"));
        await loop.StopAsync();
    }
}
