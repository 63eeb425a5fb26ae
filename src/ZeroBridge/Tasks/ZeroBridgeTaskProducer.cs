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
public sealed class ZeroBridgeTaskProducer : IZeroBridgeComponent
{
    private readonly ZeroBridgeTaskProducerOptions _options;
    private readonly ILogger _logger;
    private readonly ReceiveFaults _receiveFaults;
    private readonly SocketLoop _loop = new();
    // Everything below, up to the counters, belongs to the socket thread.
    private readonly Dictionary<byte[], WorkerState> _workers = new(IdentityComparer.Instance);
    private readonly Queue<WorkerState> _ready = new();     // workers with credit, least recently served first
    private readonly Queue<PendingTask> _retries = new();   // re-sent tasks go before new ones
    private readonly Queue<PendingTask> _queue = new();
    private readonly Dictionary<long, PendingTask> _tasks = new();
    private readonly HashSet<Job> _jobs = new();
    private readonly List<(int Count, TaskCompletionSource<IReadOnlyList<string>> Completion)> _workerWaiters = new();
    private RouterSocket? _socket;
    private volatile string[] _workerNames = [];
    private long _nextId;
    private long _submitted, _completed, _failed, _resent, _duplicates, _workersLost;
    private int _state; // ComponentState

    /// <summary>Creates a producer; call <see cref="StartAsync"/> to bind.</summary>
    public ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions? options = null, ILogger<ZeroBridgeTaskProducer>? logger = null)
    {
        _options = options ?? ZeroBridgeTaskProducerOptions.Default;
        if (_options.MaxAttempts < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxAttempts must be at least 1.");
        if (_options.WorkerTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), "WorkerTimeout must be positive.");
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _receiveFaults = new ReceiveFaults(_logger, "Task producer");
    }

    /// <summary>The bound endpoint (the actual port when an ephemeral one was asked for).</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>The names of the workers connected now.</summary>
    public IReadOnlyList<string> Workers => _workerNames;

    /// <summary>Counters since the producer started.</summary>
    public TaskProducerStatistics Statistics => new(Interlocked.Read(ref _submitted), Interlocked.Read(ref _completed),
        Interlocked.Read(ref _failed), Interlocked.Read(ref _resent), Interlocked.Read(ref _duplicates), Interlocked.Read(ref _workersLost));

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
        Endpoint = socket.BindForStart(_options.Endpoint, ref _state);
        _socket = _loop.Own(socket);
        socket.ReceiveReady += OnMessages;
        var tick = TimeSpan.FromTicks(Math.Clamp(_options.WorkerTimeout.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromMilliseconds(100).Ticks));
        _loop.Every(tick, () => { CheckLiveness(); Dispatch(); });
        _loop.Start($"ZeroBridge task producer {Endpoint}");
        _logger.LogInformation("ZeroBridge task producer waiting for workers on {Endpoint} ({Security})", Endpoint,
            _options.Certificate is null ? "plain text" : $"CURVE, server key {_options.Certificate.PublicKey}");
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
        var job = new Job(kind);
        foreach (var arguments in tasks)
        {
            var attachments = new List<ReadOnlyMemory<byte>>();
            byte[] body = WireSerializer.Serialize(typeof(object[]),
                new object[] { arguments.Positional as object?[] ?? arguments.Positional.ToArray(), arguments.Keyword }, attachments);
            job.Tasks.Add(new PendingTask(Interlocked.Increment(ref _nextId), job.Tasks.Count, job, body, attachments));
        }
        Interlocked.Add(ref _submitted, job.Tasks.Count);
        if (job.Tasks.Count == 0)
            yield break;
        _loop.Post(() => { Submit(job); Dispatch(); });
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.Timeout is { } timeout)
            deadline.CancelAfter(timeout);
        int remaining = job.Tasks.Count, completed = 0, failed = 0;
        try
        {
            while (remaining > 0)
            {
                var result = Decode(await NextAsync(job, remaining, options.Timeout, deadline.Token, cancellationToken).ConfigureAwait(false));
                remaining--;
                if (result.Ok)
                    completed++;
                else
                    failed++;
                options.Progress?.Report(new TaskProgress(job.Tasks.Count, completed, failed, _workerNames.Length, Interlocked.Read(ref _resent)));
                yield return result;
            }
        }
        finally
        {
            if (remaining > 0 && Volatile.Read(ref _state) == ComponentState.Started)
                _loop.Post(() => { Abandon(job); Dispatch(); });
        }
    }

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
        await _loop.StopAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var job in _jobs)
            job.Results.Writer.TryComplete(new ObjectDisposedException(nameof(ZeroBridgeTaskProducer)));
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

    private async ValueTask<Completion> NextAsync(Job job, int remaining, TimeSpan? timeout, CancellationToken deadline, CancellationToken cancellationToken)
    {
        try
        {
            return await job.Results.Reader.ReadAsync(deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ZeroBridgeTimeoutException($"{remaining} task(s) of '{job.Kind}' unfinished after {timeout!.Value.TotalSeconds:g} s " +
                $"({_workerNames.Length} worker(s) connected to {Endpoint}).");
        }
        catch (ChannelClosedException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }

    private TaskResult Decode(Completion completion)
    {
        var task = completion.Task;
        bool ok = completion.Ok;
        object? value = null;
        ZeroBridgeRemoteException? error = null;
        try
        {
            if (!ok)
                error = ErrorMap.Decode(completion.Payload ?? ReadOnlyMemory<byte>.Empty, WireSerializer.ForReading(completion.Attachments)).ToException();
            else if (completion.Payload is { } payload)
                value = WireSerializer.Deserialize<object>(payload, completion.Attachments);
        }
        catch (Exception ex) when (ex is ZeroBridgeSerializationException or ZeroBridgeProtocolException)
        {
            ok = false;
            error = ZeroBridgeRemoteException.Create(ErrorCodes.BadRequest, nameof(ZeroBridgeSerializationException),
                $"The result of task {task.Id} ({task.Job.Kind}) could not be decoded: {ex.Message}", null, null);
        }
        Interlocked.Increment(ref ok ? ref _completed : ref _failed);
        return new TaskResult(task.Id, task.Index, task.Job.Kind, ok, ok ? value : null, error, completion.Attempts, completion.Worker,
            completion.Payload ?? ReadOnlyMemory<byte>.Empty, completion.Attachments);
    }

    // ---- the socket thread

    private void Submit(Job job)
    {
        _jobs.Add(job);
        foreach (var task in job.Tasks)
        {
            _tasks[task.Id] = task;
            _queue.Enqueue(task);
        }
    }

    private void Abandon(Job job)
    {
        _jobs.Remove(job);
        foreach (var task in job.Tasks)
        {
            if (task.Finished)
                continue;
            task.Finished = true;
            _tasks.Remove(task.Id);
            if (task.Worker is { } worker)
                worker.Running.Remove(task.Id);
        }
    }

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
        CheckLiveness();
        Dispatch();
    }

    private void Handle(NetMQMessage message)
    {
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
        byte[] identity = message[0].ToByteArray();
        long now = Environment.TickCount64;
        _workers.TryGetValue(identity, out var worker);
        if (header.Type == "bye")
        {
            if (worker is not null)
                Lose(worker, "left");
            return;
        }
        if (worker is null)
        {
            worker = new WorkerState(identity, header.Name ?? Convert.ToHexString(identity), now);
            _workers[identity] = worker;
            WorkersChanged();
            Grant(worker, header.Type is "ready" or "hb" ? (int)Math.Clamp(header.Credit ?? 0, 0, int.MaxValue) : 0);
            if (header.Type == "ready")
                return;
        }
        worker.LastHeard = now;
        switch (header.Type)
        {
            case "ready" when worker.Credit == 0 && worker.Running.Count == 0 && header.Credit is > 0:
                Grant(worker, (int)Math.Min(header.Credit.Value, int.MaxValue)); // the same worker, reconnected
                break;
            // Only a result for a task this worker was given counts: anything else (a peer making up ids, a
            // result sent twice) neither completes a task nor earns credit.
            case "result" when header.IntegerId is { } id && worker.Owed.Remove(id):
                Grant(worker, 1);
                worker.Running.Remove(id);
                Complete(id, header.Ok, message, worker);
                break;
            case "result":
                Interlocked.Increment(ref _duplicates);
                break;
        }
    }

    private void Complete(long id, bool ok, NetMQMessage message, WorkerState worker)
    {
        if (!_tasks.Remove(id, out var task))
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }
        task.Finished = true;
        task.Worker = null;
        byte[]? payload = message.FrameCount > 3 ? message[3].ToByteArray() : null;
        var attachments = new ReadOnlyMemory<byte>[Math.Max(0, message.FrameCount - 4)];
        for (int i = 0; i < attachments.Length; i++)
            attachments[i] = message[i + 4].ToByteArray();
        Deliver(task, new Completion(task, ok, payload, attachments, task.Attempts, worker.Name));
    }

    private void Deliver(PendingTask task, Completion completion)
    {
        var job = task.Job;
        job.Results.Writer.TryWrite(completion);
        if (++job.Delivered == job.Tasks.Count)
        {
            _jobs.Remove(job);
            job.Results.Writer.TryComplete();
        }
    }

    private void Grant(WorkerState worker, int credit)
    {
        if (credit <= 0)
            return;
        if (worker.Credit == 0)
            _ready.Enqueue(worker);
        // A worker's credit is what it runs at once; beyond the cap it would only hoard the queue.
        worker.Credit = (int)Math.Min((long)worker.Credit + credit, _options.MaxCreditPerWorker);
    }

    private void Dispatch()
    {
        while (_ready.Count > 0 && (_retries.Count > 0 || _queue.Count > 0))
        {
            var worker = _ready.Peek();
            if (worker.Lost || worker.Credit <= 0)
            {
                _ready.Dequeue();
                continue;
            }
            var queue = _retries.Count > 0 ? _retries : _queue;
            var task = queue.Dequeue();
            if (task.Finished || task.Worker is not null)
                continue;
            _ready.Dequeue();
            task.Attempts++;
            var message = new NetMQMessage(4 + task.Attachments.Count);
            message.Append(worker.Identity);
            message.Append(TaskWire.SignatureBytes);
            message.Append(TaskWire.Header("task", ("id", task.Id), ("kind", task.Job.Kind), ("attempt", task.Attempts)));
            message.Append(task.Body);
            foreach (var attachment in task.Attachments)
                message.Append(Frames.Of(attachment));
            bool sent;
            try
            {
                sent = _socket!.TrySendMultipartMessage(message);
            }
            catch (NetMQ.HostUnreachableException)
            {
                sent = false;
            }
            if (!sent)
            {
                task.Attempts--;
                _retries.Enqueue(task); // goes out next, to another worker
                Lose(worker, "unreachable");
                continue;
            }
            task.Worker = worker;
            task.SentAt = Environment.TickCount64;
            worker.Running.Add(task.Id);
            worker.Owed.Add(task.Id);
            if (--worker.Credit > 0)
                _ready.Enqueue(worker);
        }
    }

    private void CheckLiveness()
    {
        long now = Environment.TickCount64;
        long workerTimeout = (long)_options.WorkerTimeout.TotalMilliseconds;
        List<WorkerState>? lost = null;
        foreach (var worker in _workers.Values)
            if (now - worker.LastHeard > workerTimeout)
                (lost ??= []).Add(worker);
        if (lost is not null)
            foreach (var worker in lost)
                Lose(worker, $"not heard for {_options.WorkerTimeout.TotalSeconds:g} s");
        if (_options.TaskTimeout is { } taskTimeout)
        {
            long limit = (long)taskTimeout.TotalMilliseconds;
            List<PendingTask>? late = null;
            foreach (var task in _tasks.Values)
                if (task.Worker is not null && now - task.SentAt > limit)
                    (late ??= []).Add(task);
            if (late is not null)
                foreach (var task in late)
                {
                    task.Worker!.Running.Remove(task.Id); // its credit stays taken until that worker answers
                    Retry(task, "timed out");
                }
        }
    }

    private void Lose(WorkerState worker, string reason)
    {
        worker.Lost = true;
        _workers.Remove(worker.Identity);
        Interlocked.Increment(ref _workersLost);
        WorkersChanged();
        if (worker.Running.Count > 0)
            _logger.LogWarning("Task worker {Worker} {Reason}: re-sending its {Count} task(s)", worker.Name, reason, worker.Running.Count);
        foreach (long id in worker.Running.Order())
            if (_tasks.TryGetValue(id, out var task))
                Retry(task, $"worker {worker.Name} {reason}");
        worker.Running.Clear();
    }

    private void Retry(PendingTask task, string reason)
    {
        task.Worker = null;
        if (task.Attempts >= _options.MaxAttempts)
        {
            _tasks.Remove(task.Id);
            task.Finished = true;
            byte[] payload = new ErrorMap(BrokerErrorCodes.WorkerLost, "",
                $"task {task.Id} ({task.Job.Kind}) was sent {task.Attempts} time(s) and never answered (last: {reason})", null, null)
                .Encode(WireSerializer.BaseOptions);
            Deliver(task, new Completion(task, false, payload, [], task.Attempts, ""));
            return;
        }
        Interlocked.Increment(ref _resent);
        _retries.Enqueue(task);
    }

    private void WorkersChanged()
    {
        _workerNames = _workers.Values.Select(w => w.Name).ToArray();
        WakeWorkerWaiters();
    }

    private void WakeWorkerWaiters()
    {
        for (int i = _workerWaiters.Count - 1; i >= 0; i--)
        {
            var (count, completion) = _workerWaiters[i];
            if (completion.Task.IsCompleted || _workers.Count >= count)
            {
                completion.TrySetResult(_workerNames);
                _workerWaiters.RemoveAt(i);
            }
        }
    }

    private sealed class Job(string kind)
    {
        public string Kind { get; } = kind;
        public List<PendingTask> Tasks { get; } = [];
        public Channel<Completion> Results { get; } = Channel.CreateUnbounded<Completion>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        public int Delivered { get; set; }
    }

    private sealed class PendingTask(long id, int index, Job job, byte[] body, List<ReadOnlyMemory<byte>> attachments)
    {
        public long Id { get; } = id;
        public int Index { get; } = index;
        public Job Job { get; } = job;
        public byte[] Body { get; } = body;
        public List<ReadOnlyMemory<byte>> Attachments { get; } = attachments;
        public int Attempts { get; set; }
        public WorkerState? Worker { get; set; }
        public long SentAt { get; set; }
        public bool Finished { get; set; }
    }

    private sealed class WorkerState(byte[] identity, string name, long lastHeard)
    {
        public byte[] Identity { get; } = identity;
        public string Name { get; } = name;
        public long LastHeard { get; set; } = lastHeard;
        public int Credit { get; set; }
        public HashSet<long> Running { get; } = [];
        /// <summary>Tasks sent to this worker it has not answered, also those re-sent elsewhere after a timeout.</summary>
        public HashSet<long> Owed { get; } = [];
        public bool Lost { get; set; }
    }

    private sealed record Completion(PendingTask Task, bool Ok, byte[]? Payload, ReadOnlyMemory<byte>[] Attachments, int Attempts, string Worker);

    private sealed class IdentityComparer : IEqualityComparer<byte[]>
    {
        public static readonly IdentityComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
