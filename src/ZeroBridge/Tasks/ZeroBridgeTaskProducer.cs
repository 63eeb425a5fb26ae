using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Protocol;
using ZeroBridge.Security;
using ZeroBridge.Serialization;
using ZeroBridge.Transport;

namespace ZeroBridge.Tasks;

/// <summary>
/// Hands tasks to a pool of workers and collects their results (docs/protocol.md §12): the C# twin of Python's
/// <c>zerobridge.TaskProducer</c>. Workers (C# <see cref="ZeroBridgeTaskWorker"/>, Python <c>TaskWorker</c>, any
/// peer of §12) connect to <see cref="Endpoint"/> and pull tasks with credits, so a slow worker never hoards a queue.
/// </summary>
/// <remarks>
/// <para>Nothing lost: a worker not heard for <see cref="ZeroBridgeTaskProducerOptions.WorkerTimeout"/>, or that
/// leaves, has its tasks re-sent to others. Nothing doubled: the first result per task id is delivered and later
/// ones are dropped, so every task yields exactly one <see cref="TaskResult"/>. A task that throws or cannot be
/// decoded yields an error result; a task sent <see cref="ZeroBridgeTaskProducerOptions.MaxAttempts"/> times
/// without an answer yields <c>worker_lost</c>.</para>
/// <para>The ROUTER socket lives on a background thread (a <see cref="NetMQPoller"/>). Tasks are encoded and
/// results decoded on the caller's thread. Any number of jobs may run at once from any threads.</para>
/// </remarks>
/// <example>
/// <code>
/// await using var producer = new ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions.Default with { Endpoint = "tcp://127.0.0.1:5560" });
/// await producer.StartAsync();
/// await producer.WaitForWorkersAsync(1, TimeSpan.FromSeconds(30));
/// await foreach (var result in producer.RunAsync("square", Enumerable.Range(0, 1000)))
///     Console.WriteLine($"{result.Index}: {result.Value}");
/// </code>
/// </example>
public sealed class ZeroBridgeTaskProducer : IZeroBridgeComponent, ITaskPoolOutput
{
    private readonly ZeroBridgeTaskProducerOptions _options;
    private readonly ILogger _logger;
    private readonly ReceiveFaults _receiveFaults;
    private readonly SocketLoop _loop = new();
    // The scheduler, the waiters and the socket belong to the socket thread.
    private readonly CreditScheduler _scheduler;
    private readonly List<(int Count, TaskCompletionSource<IReadOnlyList<string>> Completion)> _workerWaiters = new();
    private readonly ConnectionAuthentication? _authentication; // with an AllowList: which connections proved which key
    private readonly HashSet<string> _refusalLogged = new(StringComparer.Ordinal); // unproved connections, logged once each
    private RouterSocket? _socket;
    private volatile IReadOnlyList<string> _workerNames = [];
    private long _nextId;
    private long _submitted, _completed, _failed;
    private int _state; // ComponentState

    /// <summary>Creates a producer; call <see cref="StartAsync"/> to bind.</summary>
    public ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions? options = null, ILogger<ZeroBridgeTaskProducer>? logger = null)
    {
        _options = options ?? ZeroBridgeTaskProducerOptions.Default;
        _options.ConnectionLimits.ThrowIfInvalid(nameof(options));
        if (_options.MaxAttempts < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxAttempts must be at least 1.");
        if (_options.WorkerTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), "WorkerTimeout must be positive.");
        if (_options.HeartbeatInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), "HeartbeatInterval must be positive.");
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _receiveFaults = new ReceiveFaults(_logger, "Task producer");
        _scheduler = new CreditScheduler(_options, this, _logger);
        if (_options.AllowList is { } allowList)
        {
            _authentication = new ConnectionAuthentication(
                _options.Certificate ?? throw new ArgumentException("AllowList needs a Certificate: workers prove their keys to the producer's key.", nameof(options)),
                allowList, _logger, "Task producer");
            _authentication.Changed = (connection, identity) =>
            {
                if (identity is null) // its key left the allow-list: no task more, and its tasks go to other workers
                    _scheduler.Drop(Convert.FromHexString(connection), "its key left the allow-list");
            };
        }
    }

    /// <summary>The bound endpoint (the actual port when an ephemeral one was asked for).</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>The names of the workers connected now.</summary>
    public IReadOnlyList<string> Workers => _workerNames;

    /// <summary>Counters since the producer started.</summary>
    public TaskProducerStatistics Statistics => new(Interlocked.Read(ref _submitted), Interlocked.Read(ref _completed),
        Interlocked.Read(ref _failed), _scheduler.Resent, _scheduler.Duplicates, _scheduler.WorkersLost);

    /// <summary>Binds the endpoint and starts the socket thread.</summary>
    /// <exception cref="InvalidOperationException">The producer was already started or stopped.</exception>
    /// <exception cref="NetMQException">The endpoint cannot be bound.</exception>
    /// <exception cref="ZeroBridgeException">The endpoint is beyond loopback without CURVE (and not <see cref="ZeroBridgeTaskProducerOptions.Insecure"/>).</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, ComponentState.Started, ComponentState.New) != ComponentState.New)
            throw new InvalidOperationException("A ZeroBridgeTaskProducer starts once.");
        if (PlaintextExposure.Refusal("ZeroBridge task producer", _options.Endpoint, EndpointAddress.IsLocalOnly(_options.Endpoint),
                _options.Certificate is not null, _options.Insecure) is { } exposure)
        {
            Volatile.Write(ref _state, ComponentState.New); // nothing started
            throw new ZeroBridgeException(exposure);
        }
        var socket = new RouterSocket();
        socket.UseCurveServer(_options.Certificate?.ToNetMQ());
        socket.Options.Linger = TimeSpan.Zero;
        socket.Options.RouterMandatory = true; // a task for a vanished worker fails at once instead of vanishing
        socket.Options.MaxMsgSize = _options.MaxResultBytes;
        socket.Options.SendHighWatermark = 0; // credits bound what is in flight
        socket.Options.ReceiveHighWatermark = 0;
        if (_authentication is not null)
            PeerDisconnects.Report(socket); // forget a proof, and the worker, when its connection goes
        Endpoint = socket.BindForStart(_options.Endpoint, ref _state);
        _socket = _loop.Own(socket);
        ConnectionWatch.Start(_loop, socket, _options.ConnectionLimits, _logger, "Task producer");
        socket.ReceiveReady += OnMessages;
        var tick = TimeSpan.FromTicks(Math.Clamp(_options.WorkerTimeout.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromMilliseconds(100).Ticks));
        _loop.Every(tick, () =>
        {
            long now = Environment.TickCount64;
            try
            {
                _authentication?.RecheckWhenDue(); // a removed key's worker is dropped before the next dispatch
            }
            catch (Exception ex) // an allow-list callback or directory that fails must not stop the producer
            {
                TasksLog.AllowListRecheckFailed(_logger, ex, _options.AllowList);
            }
            _scheduler.Tick(now);
            _scheduler.Dispatch(now);
        });
        _loop.Every(_options.HeartbeatInterval, SendHeartbeats);
        _loop.Start($"ZeroBridge task producer {Endpoint}");
        TaskMetrics.Producers.Add(this);
        TasksLog.ProducerStarted(_logger, Endpoint, _options.Certificate is null ? "plain text"
            : _authentication is null ? $"CURVE, server key {_options.Certificate.PublicKey}"
            : $"CURVE, server key {_options.Certificate.PublicKey}, workers proved against the allow-list {_options.AllowList}");
        return Task.CompletedTask;
    }

    /// <summary>Waits until at least <paramref name="count"/> workers are connected; their names.</summary>
    /// <exception cref="ZeroBridgeTimeoutException">Fewer workers connected within <paramref name="timeout"/>.</exception>
    public async Task<IReadOnlyList<string>> WaitForWorkersAsync(int count = 1, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        EnsureRunning();
        var completion = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(() =>
        {
            _workerWaiters.Add((count, completion));
            WakeWorkerWaiters();
        });
        try
        {
            return timeout is { } wait
                ? await completion.Task.WaitAsync(wait, cancellationToken).ConfigureAwait(false)
                : await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new ZeroBridgeTimeoutException($"{Workers.Count} of {count} worker(s) connected to {Endpoint} after {timeout!.Value.TotalSeconds:g} s.");
        }
    }

    /// <summary>
    /// Runs one task of <paramref name="kind"/> per item (the item is the task's one positional argument, as
    /// Python's <c>producer.results(kind, items)</c>) and yields each task's result exactly once, as they complete.
    /// </summary>
    public IAsyncEnumerable<TaskResult> RunAsync<TItem>(string kind, IEnumerable<TItem> items, TaskRunOptions? options = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(kind, items.Select(item => TaskArguments.Of(item)), options, cancellationToken);

    /// <summary>Runs one task of <paramref name="kind"/> per argument set and yields each task's result exactly once, as they complete.</summary>
    /// <param name="kind">The task kind: a command name on the workers.</param>
    /// <param name="tasks">Each task's arguments; enumerated and encoded at once, before the first result.</param>
    /// <param name="options">The job's timeout and progress report.</param>
    /// <param name="cancellationToken">Abandons the job: tasks not yet sent are dropped, late results ignored.</param>
    /// <exception cref="ZeroBridgeTimeoutException">The job took longer than <see cref="TaskRunOptions.Timeout"/>.</exception>
    /// <exception cref="ZeroBridgeSerializationException">An argument cannot be serialized (before anything is sent).</exception>
    /// <exception cref="ObjectDisposedException">The producer was stopped while the job ran.</exception>
    public async IAsyncEnumerable<TaskResult> RunAsync(string kind, IEnumerable<TaskArguments> tasks, TaskRunOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(tasks);
        EnsureRunning();
        options ??= TaskRunOptions.Default;
        if (options.ChunkSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "ChunkSize must be at least 1.");
        var job = new TaskJob(kind);
        int items = 0;
        foreach (var chunk in options.ChunkSize == 1 ? tasks.Select(t => new[] { t }) : tasks.Chunk(options.ChunkSize))
        {
            var attachments = new List<ReadOnlyMemory<byte>>();
            byte[] body = options.ChunkSize == 1
                ? WireSerializer.Serialize(typeof(object[]), ArgumentArray(chunk[0]), attachments)
                : WireSerializer.Serialize(typeof(Dictionary<string, object>),
                    new Dictionary<string, object> { [TaskBatch.ItemsKey] = chunk.Select(ArgumentArray).ToArray() }, attachments);
            job.Tasks.Add(new PendingTask(Interlocked.Increment(ref _nextId), items, job, body, attachments,
                options.ChunkSize == 1 ? 0 : chunk.Length));
            items += chunk.Length;
        }
        Interlocked.Add(ref _submitted, items);
        if (job.Tasks.Count == 0)
            yield break;
        _loop.Post(() => { _scheduler.Submit(job); _scheduler.Dispatch(Environment.TickCount64); });
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.Timeout is { } timeout)
            deadline.CancelAfter(timeout);
        int remaining = job.Tasks.Count, completed = 0, failed = 0;
        try
        {
            while (remaining > 0)
            {
                var raw = await NextAsync(job, remaining, options.Timeout, deadline.Token, cancellationToken).ConfigureAwait(false);
                remaining--;
                foreach (var result in Decode(raw))
                {
                    if (result.Ok)
                        completed++;
                    else
                        failed++;
                    options.Progress?.Report(new TaskProgress(items, completed, failed, _workerNames.Count, _scheduler.Resent));
                    yield return result;
                }
            }
        }
        finally
        {
            if (remaining > 0 && Volatile.Read(ref _state) == ComponentState.Started)
                _loop.Post(() => { _scheduler.Abandon(job); _scheduler.Dispatch(Environment.TickCount64); });
        }
    }

    /// <summary>A task's arguments as the body's <c>[positional, keyword]</c> array.</summary>
    private static object[] ArgumentArray(TaskArguments arguments) =>
        [arguments.Positional as object?[] ?? arguments.Positional.ToArray(), arguments.Keyword];

    /// <summary>
    /// Runs one task per item and returns their values in the items' order; the first failed task (by position)
    /// throws its error after all have finished.
    /// </summary>
    /// <exception cref="ZeroBridgeRemoteException">A task failed.</exception>
    public async Task<object?[]> MapAsync<TItem>(string kind, IEnumerable<TItem> items, TaskRunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var list = items as IReadOnlyCollection<TItem> ?? items.ToList();
        var values = new object?[list.Count];
        TaskResult? firstFailure = null;
        await foreach (var result in RunAsync(kind, list, options, cancellationToken).ConfigureAwait(false))
        {
            values[result.Index] = result.Ok ? result.Value : result.Error;
            if (!result.Ok && (firstFailure is null || result.Index < firstFailure.Index))
                firstFailure = result;
        }
        if (firstFailure is not null)
            throw firstFailure.Error!;
        return values;
    }

    /// <summary>Stops: unbinds, and jobs still running end with <see cref="ObjectDisposedException"/>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!ComponentState.BeginStop(ref _state, _loop))
            return;
        TaskMetrics.Producers.Remove(this);
        await _loop.StopAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        _scheduler.ShutDown(new ObjectDisposedException(nameof(ZeroBridgeTaskProducer)));
        foreach (var (_, completion) in _workerWaiters)
            completion.TrySetException(new ObjectDisposedException(nameof(ZeroBridgeTaskProducer)));
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <inheritdoc/>
    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    private void EnsureRunning()
    {
        if (Volatile.Read(ref _state) != ComponentState.Started)
            throw _state == ComponentState.New ? new InvalidOperationException("The producer is not running: call StartAsync first.")
                              : new ObjectDisposedException(nameof(ZeroBridgeTaskProducer));
    }

    private async ValueTask<RawTaskResult> NextAsync(TaskJob job, int remaining, TimeSpan? timeout, CancellationToken deadline, CancellationToken cancellationToken)
    {
        try
        {
            return await job.Results.Reader.ReadAsync(deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ZeroBridgeTimeoutException($"{remaining} task(s) of '{job.Kind}' unfinished after {timeout!.Value.TotalSeconds:g} s " +
                $"({_workerNames.Count} worker(s) connected to {Endpoint}).");
        }
        catch (ChannelClosedException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }

    /// <summary>The results of one task message: one, or one per item of a batch (docs/protocol.md §12.5).</summary>
    private IEnumerable<TaskResult> Decode(RawTaskResult completion)
    {
        var task = completion.Task;
        if (task.Batch == 0)
            return [Decode(completion, 0, completion.Ok, completion.Payload ?? ReadOnlyMemory<byte>.Empty)];
        var payload = completion.Payload ?? ReadOnlyMemory<byte>.Empty;
        if (completion.Batched is null)
        {
            // Answered as one task: the worker refused the batch (or knows no batches); every item gets that error.
            return Enumerable.Range(0, task.Batch).Select(offset => completion.Ok
                ? Undecodable(completion, offset, "the worker answered a batch with one value")
                : Decode(completion, offset, false, payload, refusedBatch: true)).ToArray();
        }
        (bool Ok, ReadOnlyMemory<byte> Encoded)[] outcomes;
        try
        {
            outcomes = TaskBatch.Outcomes(payload, task.Batch);
        }
        catch (ZeroBridgeProtocolException ex)
        {
            return Enumerable.Range(0, task.Batch).Select(offset => Undecodable(completion, offset, ex.Message)).ToArray();
        }
        return outcomes.Select((outcome, offset) => Decode(completion, offset, outcome.Ok, outcome.Encoded)).ToArray();
    }

    /// <summary>One item's result from its encoded value or error map.</summary>
    private TaskResult Decode(RawTaskResult completion, int offset, bool ok, ReadOnlyMemory<byte> payload, bool refusedBatch = false)
    {
        var task = completion.Task;
        object? value = null;
        ZeroBridgeRemoteException? error = null;
        try
        {
            if (!ok)
                error = ErrorMap.Decode(payload, WireSerializer.ForReading(completion.Attachments)).ToException();
            else if (!payload.IsEmpty)
                value = WireSerializer.Deserialize<object>(payload, completion.Attachments);
        }
        catch (Exception ex) when (ex is ZeroBridgeSerializationException or ZeroBridgeProtocolException)
        {
            return Undecodable(completion, offset, ex.Message);
        }
        if (refusedBatch && error is { Code: ErrorCodes.BadRequest })
            error = ZeroBridgeRemoteException.Create(error.Code, error.RemoteType, error.Message +
                " (the worker answered the batch as one task: it may not support batched tasks, docs/protocol.md §12.5; use ChunkSize = 1 with it)",
                error.RemoteStackTrace, error.Details);
        return Counted(new TaskResult(task.Id, task.Index + offset, task.Job.Kind, ok, ok ? value : null, error, completion.Attempts,
            completion.Worker, payload, completion.Attachments));
    }

    private TaskResult Undecodable(RawTaskResult completion, int offset, string why)
    {
        var task = completion.Task;
        var error = ZeroBridgeRemoteException.Create(ErrorCodes.BadRequest, nameof(ZeroBridgeSerializationException),
            $"The result of task {task.Id} ({task.Job.Kind}) could not be decoded: {why}", null, null);
        return Counted(new TaskResult(task.Id, task.Index + offset, task.Job.Kind, false, null, error, completion.Attempts, completion.Worker,
            ReadOnlyMemory<byte>.Empty, completion.Attachments));
    }

    private TaskResult Counted(TaskResult result)
    {
        Interlocked.Increment(ref result.Ok ? ref _completed : ref _failed);
        return result;
    }

    // ---- the socket thread

    private void OnMessages(object? sender, NetMQSocketEventArgs e)
    {
        var message = new NetMQMessage();
        for (int i = 0; i < 10_000 && e.Socket.TryReceiveMultipartMessage(ref message); i++)
        {
            try
            {
                Handle(message);
            }
            catch (Exception ex)
            {
                _receiveFaults.Record(ex);
            }
            message = new NetMQMessage();
        }
        long now = Environment.TickCount64;
        _scheduler.Tick(now);
        _scheduler.Dispatch(now);
    }

    private void Handle(NetMQMessage message)
    {
        if (_authentication is not null && PeerDisconnects.IsNotice(message))
        {
            string gone = Convert.ToHexString(message[0].ToByteArray());
            _authentication.Disconnected(gone); // before a newcomer can take the routing id (docs/security.md)
            _refusalLogged.Remove(gone);
            _scheduler.Drop(message[0].ToByteArray(), "disconnected");
            return;
        }
        if (RouterProof.IsRequest(message))
        {
            Send(RouterProof.Answer(_authentication, message, "This task producer"));
            return;
        }
        if (message.FrameCount < 3 || !message[1].Buffer.AsSpan(0, message[1].MessageSize).SequenceEqual(TaskWire.SignatureBytes))
            return;
        TaskHeader header;
        try
        {
            header = TaskWire.Parse(message[2].Buffer.AsMemory(0, message[2].MessageSize));
        }
        catch (ZeroBridgeProtocolException)
        {
            return; // not a worker of this protocol
        }
        if (_authentication is not null && !Proved(message[0].ToByteArray(), header))
            return;
        byte[]? payload = null;
        ReadOnlyMemory<byte>[]? attachments = null;
        if (header.Type == "result")
        {
            payload = message.FrameCount > 3 ? message[3].ToByteArray() : null;
            attachments = new ReadOnlyMemory<byte>[Math.Max(0, message.FrameCount - 4)];
            for (int i = 0; i < attachments.Length; i++)
                attachments[i] = message[i + 4].ToByteArray();
        }
        _scheduler.Heard(message[0].ToByteArray(), header, Environment.TickCount64, payload, attachments);
    }

    /// <summary>
    /// Whether the connection proved an allowed key. One that has not is no worker: its <c>ready</c> and heartbeats
    /// get the <c>unauthenticated</c> notice (which makes a worker with a certificate prove, also after the producer
    /// restarted) and nothing else reaches the scheduler, so it never gets a task (docs/protocol.md §12.4).
    /// </summary>
    private bool Proved(byte[] identity, TaskHeader header)
    {
        string connection = Convert.ToHexString(identity);
        if (_authentication!.IdentityOf(connection) is not null)
            return true;
        if (header.Type is not ("ready" or "hb"))
            return false;
        if (_refusalLogged.Add(connection))
            TasksLog.WorkerNotProved(_logger, header.Name ?? "(unnamed)", connection, _options.AllowList);
        var notice = new NetMQMessage(3);
        notice.Append(identity);
        notice.Append(TaskWire.SignatureBytes);
        notice.Append(TaskWire.Header(TaskWire.Unauthenticated, ("message",
            "This task producer gives tasks only to workers that proved a key on its allow-list: prove with auth.hello and auth.prove, then send ready.")));
        Send(notice);
        return false;
    }

    /// <summary>
    /// A heartbeat to every worker (docs/protocol.md §12.2): without it a worker with no task cannot tell a live
    /// producer from a vanished one. Unproved connections are no workers and get none.
    /// </summary>
    private void SendHeartbeats()
    {
        byte[] header = TaskWire.Header("hb", ("ivl", (long)_options.HeartbeatInterval.TotalMilliseconds));
        foreach (var identity in _scheduler.WorkerIdentities)
        {
            var message = new NetMQMessage(3);
            message.Append(identity);
            message.Append(TaskWire.SignatureBytes);
            message.Append(header);
            Send(message);
        }
    }

    private void Send(NetMQMessage message)
    {
        try
        {
            _socket!.TrySendMultipartMessage(message);
        }
        catch (NetMQ.HostUnreachableException)
        {
            // the peer left
        }
    }

    bool ITaskPoolOutput.SendTask(PoolWorker worker, PendingTask task)
    {
        var message = new NetMQMessage(4 + task.Attachments.Count);
        message.Append(worker.Identity);
        message.Append(TaskWire.SignatureBytes);
        message.Append(task.Batch == 0
            ? TaskWire.Header("task", ("id", task.Id), ("kind", task.Job.Kind), ("attempt", task.Attempts))
            : TaskWire.Header("task", ("id", task.Id), ("kind", task.Job.Kind), ("attempt", task.Attempts), (TaskBatch.Key, task.Batch)));
        message.Append(task.Body);
        foreach (var attachment in task.Attachments)
            message.Append(Frames.Of(attachment));
        try
        {
            return _socket!.TrySendMultipartMessage(message);
        }
        catch (NetMQ.HostUnreachableException)
        {
            return false;
        }
    }

    void ITaskPoolOutput.WorkersChanged(IReadOnlyList<string> names)
    {
        _workerNames = names;
        WakeWorkerWaiters();
    }

    private void WakeWorkerWaiters()
    {
        for (int i = _workerWaiters.Count - 1; i >= 0; i--)
        {
            var (count, completion) = _workerWaiters[i];
            if (completion.Task.IsCompleted || _scheduler.WorkerCount >= count)
            {
                completion.TrySetResult(_workerNames);
                _workerWaiters.RemoveAt(i);
            }
        }
    }
}
