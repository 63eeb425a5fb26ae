using NetMQ;
using NetMQ.Monitoring;

namespace ZeroBridge.Transport;

/// <summary>
/// The one thread a component's sockets live on: a <see cref="NetMQPoller"/> run on a named background thread, the
/// queues other threads fill for it, and the work they hand it. Every socket-owning component uses one.
/// </summary>
/// <remarks>
/// <para>NetMQ sockets are not thread-safe, so everything that touches them runs here. Other threads reach the
/// thread in one of two ways: a <see cref="Queue{T}"/> for a stream of items (replies, messages to publish), and
/// <see cref="Post"/> / <see cref="InvokeAsync"/> (NetMQ's own <c>poller.Run(action)</c>) for one-off work.</para>
/// <para>The thread is a background thread, so a process that forgets to stop a component can still exit.</para>
/// <para>Stopping drains: whatever the queues hold is handled, then the component's last work (goodbyes to peers)
/// runs, on the socket thread, before the poller stops. The loop then disposes the poller and everything it was
/// given to own (queues, sockets). A loop that never started disposes the same on <see cref="Dispose"/>, so a
/// component whose start failed leaves nothing open for <c>NetMQConfig.Cleanup</c> to hang on.</para>
/// </remarks>
internal sealed class SocketLoop : IDisposable
{
    /// <summary>How long stopping waits for the drain and the last work before the poller stops regardless.</summary>
    public static readonly TimeSpan DrainPatience = TimeSpan.FromSeconds(5);

    private readonly NetMQPoller _poller = new();
    private readonly List<Action> _drains = [];
    private readonly List<IDisposable> _owned = [];
    private int _state; // ComponentState: New, Started, Stopped

    /// <summary>Whether the poller thread is running.</summary>
    public bool IsRunning => _poller.IsRunning;

    /// <summary>Whether the calling thread is this loop's thread (where its sockets may be used).</summary>
    public bool IsCurrentThread => _poller.CanExecuteTaskInline;

    /// <summary>Polls <paramref name="socket"/> on this loop and disposes it when the loop is disposed.</summary>
    public T Own<T>(T socket) where T : NetMQSocket
    {
        _poller.Add(socket);
        _owned.Add(socket);
        return socket;
    }

    /// <summary>
    /// Owns <paramref name="socket"/> like <see cref="Own{T}"/> and hands <paramref name="handle"/> every message it
    /// receives. Once the socket has a message, the loop stays in the socket's own blocking receive until
    /// <paramref name="hold"/> has passed, and only then serves its other items (timers, queues, monitors, posted work,
    /// stopping), which may therefore wait that long.
    /// </summary>
    /// <remarks>
    /// <para>Each wake-up of the poller checks every item it holds, with system calls for each; a blocking receive
    /// waits on the one socket alone. For a component whose traffic is all on one socket and whose other items can wait
    /// a tick (the broker), that took about 40 % off its thread's CPU per request (bench/README.md, "Issue 14, the
    /// broker (stop 13)"). A component with a queue of replies to send must not use it: the replies would wait.</para>
    /// <para>The message is reused once <paramref name="handle"/> returns: keep its frames, not the message.</para>
    /// </remarks>
    public T Receive<T>(T socket, TimeSpan hold, Action<NetMQMessage> handle) where T : NetMQSocket
    {
        var message = new NetMQMessage();
        socket.ReceiveReady += (_, _) =>
        {
            long until = Environment.TickCount64 + (long)hold.TotalMilliseconds;
            for (long left = until - Environment.TickCount64; left > 0; left = until - Environment.TickCount64)
            {
                if (!socket.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(left), ref message))
                    return;
                handle(message);
            }
        };
        return Own(socket);
    }

    /// <summary>Calls <paramref name="tick"/> every <paramref name="interval"/> on this loop's thread; returns the timer.</summary>
    public NetMQTimer Every(TimeSpan interval, Action tick)
    {
        var timer = new NetMQTimer(interval);
        timer.Elapsed += (_, _) => tick();
        _poller.Add(timer);
        return timer;
    }

    /// <summary>
    /// Raises <paramref name="socket"/>'s monitor <paramref name="events"/> on this loop's thread, through the
    /// returned object's events. The socket that receives them is owned by the loop like any other. Call before the
    /// loop starts.
    /// </summary>
    /// <remarks>
    /// NetMQ's own <c>AttachToPoller</c> is not used: its detach (in <c>Dispose</c>) throws once the poller has
    /// stopped, which is exactly when a loop disposes what it owns. Here the monitor only decodes the events its pair
    /// socket receives; the loop polls and disposes that socket.
    /// </remarks>
    public NetMQMonitor Monitor(NetMQSocket socket, SocketEvents events)
    {
        string endpoint = $"inproc://zerobridge-monitor-{Guid.NewGuid():N}";
        socket.Monitor(endpoint, events); // binds the endpoint the socket reports its events to
        var receiver = new NetMQ.Sockets.PairSocket();
        receiver.Options.Linger = TimeSpan.Zero;
        // NetMQ sends each event without waiting and drops it when the pair's queue is full (1,000 by default): a burst
        // of connections while this loop is busy would lose events, and connections would escape the log and the
        // limits. With no high-water mark on this end the inproc queue is unbounded (events are small, and read
        // on every turn of the loop).
        receiver.Options.ReceiveHighWatermark = 0;
        var monitor = new NetMQMonitor(receiver, endpoint, ownsSocket: false); // decodes what the pair receives
        receiver.Connect(endpoint);
        Own(receiver);
        return monitor;
    }

    /// <summary>Disposes <paramref name="resource"/> when the loop is disposed.</summary>
    public void DisposeWith(IDisposable resource) => _owned.Add(resource);

    /// <summary>Polls a socket the caller owns (a socket replaced while running: add and remove it on this thread).</summary>
    public void Add(NetMQSocket socket) => _poller.Add(socket);

    /// <summary>Stops polling a socket the caller owns; on this loop's thread.</summary>
    public void Remove(NetMQSocket socket) => _poller.Remove(socket);

    /// <summary>
    /// A queue any thread may fill; its items are handed to <paramref name="handle"/> on this loop's thread, at most
    /// <paramref name="batch"/> per wake-up so the other sockets get their turn, and all of them when the loop stops.
    /// </summary>
    public NetMQQueue<T> Queue<T>(Action<T> handle, int batch = 1000)
    {
        var queue = new NetMQQueue<T>();
        queue.ReceiveReady += (_, e) =>
        {
            for (int i = 0; i < batch && e.Queue.TryDequeue(out var item, TimeSpan.Zero); i++)
                handle(item);
        };
        _poller.Add(queue);
        _owned.Add(queue);
        _drains.Add(() =>
        {
            while (queue.TryDequeue(out var item, TimeSpan.Zero))
                handle(item);
        });
        return queue;
    }

    /// <summary>Starts the poller on a background thread named <paramref name="threadName"/>; returns once it runs.</summary>
    /// <exception cref="InvalidOperationException">The loop was started before.</exception>
    public void Start(string threadName)
    {
        if (Interlocked.CompareExchange(ref _state, ComponentState.Started, ComponentState.New) != ComponentState.New)
            throw new InvalidOperationException("A socket loop starts once.");
        _poller.RunAsync(threadName, isBackgroundThread: true);
    }

    /// <summary>Runs <paramref name="action"/> on this loop's thread (at once when called there).</summary>
    public void Post(Action action) => _poller.Run(action);

    /// <summary>Runs <paramref name="action"/> on this loop's thread; completes when it has run (or threw).</summary>
    public Task InvokeAsync(Action action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            try
            {
                action();
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        });
        return done.Task;
    }

    /// <summary>
    /// Handles what the queues hold, runs <paramref name="lastWork"/> on this loop's thread, stops the poller and
    /// disposes the loop. Waits at most <see cref="DrainPatience"/> (or until <paramref name="cancellationToken"/>)
    /// for the drain; the poller stops either way. A loop that never started is only disposed.
    /// </summary>
    /// <returns>False when the drain did not finish in time.</returns>
    public async Task<bool> StopAsync(Action? lastWork = null, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, ComponentState.Stopped) != ComponentState.Started)
        {
            Dispose();
            return true;
        }
        bool drained = true;
        try
        {
            await InvokeAsync(() =>
            {
                foreach (var drain in _drains)
                    drain();
                lastWork?.Invoke();
            }).WaitAsync(DrainPatience, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            drained = false;
        }
        finally
        {
            if (_poller.IsRunning)
                _poller.Stop(); // from another thread: returns once the poller thread has left its loop
            Dispose();
        }
        return drained;
    }

    /// <summary>Disposes the poller and what the loop owns. Call <see cref="StopAsync"/> instead on a started loop.</summary>
    public void Dispose()
    {
        Volatile.Write(ref _state, ComponentState.Stopped);
        if (!_poller.IsDisposed)
            _poller.Dispose();
        foreach (var owned in _owned)
            owned.Dispose();
        _owned.Clear();
    }
}
