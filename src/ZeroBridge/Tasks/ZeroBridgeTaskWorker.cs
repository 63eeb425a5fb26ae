using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Commands;
using ZeroBridge.Execution;
using ZeroBridge.Protocol;
using ZeroBridge.Security;
using ZeroBridge.Transport;

namespace ZeroBridge.Tasks;

/// <summary>
/// Runs tasks for a ZeroBridge task producer (docs/protocol.md §12): a task's kind names a command of a
/// <see cref="CommandRegistry"/>, its arguments bind like a call's, and its result or error goes back to the
/// producer. Any C# method registered as a command is therefore a task worker.
/// </summary>
/// <remarks>
/// <para>The DEALER socket lives on a background thread (a <see cref="NetMQPoller"/>) that also sends heartbeats; tasks
/// run on the thread pool, at most <see cref="ZeroBridgeTaskWorkerOptions.Concurrency"/> at once (the credit the
/// worker announces), so a long task never silences the heartbeat. A task that throws, has arguments that do not
/// bind, or cannot be decoded gets an error result; it is never left unanswered.</para>
/// <para>Given a <see cref="ZeroBridgeTaskWorkerOptions.Certificate"/>, the worker proves its key before <c>ready</c>,
/// and again whenever the producer answers with an <c>unauthenticated</c> notice (a new connection, for example after
/// the producer restarted; docs/protocol.md §12.4). A producer without an allow-list answers the proof
/// <c>bad_request</c> and the worker goes on as before.</para>
/// <para>A command declared <see cref="NonBlockingAttribute">[NonBlocking]</see> runs on the socket thread as soon as its
/// task arrives, sparing the hop to the pool and back. A batch (docs/protocol.md §12.5) runs its items one after the
/// other on the pool. <see cref="ZeroBridgeTaskWorkerOptions.Prefetch"/> takes tasks ahead of the running ones.</para>
/// </remarks>
/// <example>
/// <code>
/// var commands = new CommandRegistry().Add("square", (int x) => x * x);
/// await using var worker = new ZeroBridgeTaskWorker(commands, "tcp://127.0.0.1:5560");
/// await worker.StartAsync();
/// </code>
/// </example>
public sealed class ZeroBridgeTaskWorker : IZeroBridgeComponent
{
    private readonly string _endpoint;
    private readonly ZeroBridgeTaskWorkerOptions _options;
    private readonly ILogger _logger;
    private readonly CommandExecutor _executor;
    private readonly SocketLoop _loop = new();
    private readonly NetMQQueue<NetMQMessage?> _results;
    private readonly CancellationTokenSource _stopping = new();
    private readonly RunningRequests _running = new();
    private readonly DealerProof? _proof;
    private DealerSocket? _socket;
    // The proof's state; the socket thread's own (milliseconds of Environment.TickCount64).
    private long? _provingSince;
    private long _nextProofAt;
    private long _completed;
    private long _handedBack;
    private int _state;
    // What the health check reads (any thread): when the producer was last heard (Environment.TickCount64, 0 =
    // never), the heartbeat interval it announced (0 = it sends none), and whether it refused this worker.
    private long _lastHeard;
    private long _producerInterval;
    private volatile string? _refusal;

    /// <summary>Creates a worker running the commands of <paramref name="commands"/> for the producer at <paramref name="endpoint"/>.</summary>
    public ZeroBridgeTaskWorker(CommandRegistry commands, string endpoint, ZeroBridgeTaskWorkerOptions? options = null,
        ILogger<ZeroBridgeTaskWorker>? logger = null)
    {
        _endpoint = endpoint;
        _options = options ?? ZeroBridgeTaskWorkerOptions.Default;
        if (_options.Concurrency < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "Concurrency must be at least 1.");
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        if (_options.Prefetch < 0)
            throw new ArgumentOutOfRangeException(nameof(options), "Prefetch must be at least 0.");
        // Prefetched tasks wait for one of the Concurrency slots here, already received.
        _executor = new CommandExecutor(commands, CommandExecutorOptions.Default with
        {
            IncludeStackTraces = _options.IncludeStackTraces, Route = "task", MaxConcurrency = _options.Concurrency,
        }, _logger);
        Name = _options.Name ?? $"dotnet-{Environment.MachineName}-{Environment.ProcessId}";
        _results = _loop.Queue<NetMQMessage?>(SendResult);
        if (_options is { Certificate: { } certificate, ServerKey: { } serverKey })
            _proof = new DealerProof(serverKey, certificate, WireConstants.DefaultService, ProofPatience);
    }

    /// <summary>The credit announced: tasks running at once plus tasks taken ahead (<see cref="ZeroBridgeTaskWorkerOptions.Prefetch"/>).</summary>
    private int Credit => _options.Concurrency + _options.Prefetch;

    /// <summary>How long a proof may wait for the producer before the next notice may start another (five heartbeats).</summary>
    private TimeSpan ProofPatience => _options.HeartbeatInterval * 5;

    /// <summary>The producer's endpoint this worker connects to.</summary>
    public string Endpoint => _endpoint;

    /// <summary>The name the worker announces.</summary>
    public string Name { get; }

    /// <summary>How many tasks the worker has answered.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>
    /// How many tasks were running when the worker stopped and were handed back unanswered (the producer re-sends
    /// them at once on the goodbye).
    /// </summary>
    public long HandedBack => Interlocked.Read(ref _handedBack);

    /// <summary>Whether the worker was started and not stopped.</summary>
    public bool IsRunning => Volatile.Read(ref _state) == ComponentState.Started;

    /// <summary>
    /// Its connection to the producer now: when the producer was last heard, whether it refused this worker, tasks
    /// running. Safe from any thread; the worker's health check reports it.
    /// </summary>
    public TaskWorkerStatus Status
    {
        get
        {
            long heard = Volatile.Read(ref _lastHeard), interval = Volatile.Read(ref _producerInterval);
            return new TaskWorkerStatus(IsRunning,
                heard == 0 ? null : TimeSpan.FromMilliseconds(Environment.TickCount64 - heard),
                interval == 0 ? null : TimeSpan.FromMilliseconds(interval * TaskWorkerStatus.MissedHeartbeats),
                _refusal, _running.Count, _options.Concurrency);
        }
    }

    /// <summary>Connects to the producer (now or whenever it appears) and starts taking tasks.</summary>
    /// <exception cref="InvalidOperationException">The worker was already started or stopped.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, ComponentState.Started, ComponentState.New) != ComponentState.New)
            throw new InvalidOperationException("A ZeroBridgeTaskWorker starts once.");
        var socket = new DealerSocket();
        socket.UseCurveClient(_options.ServerKey, _options.Certificate?.ToNetMQ());
        socket.Options.Linger = TimeSpan.FromSeconds(1);
        socket.Options.MaxMsgSize = _options.MaxTaskBytes;
        socket.Connect(_endpoint);
        _socket = _loop.Own(socket);
        socket.ReceiveReady += OnTasks;
        _loop.Every(_options.HeartbeatInterval, () =>
        {
            if (_provingSince is null) // an unproved connection is no worker yet: its heartbeats would only be refused
                Send(TaskWire.Header("hb", ("name", Name), ("credit", Credit - _running.Count)));
        });
        ThreadPoolHeadroom.Reserve(_options.Concurrency, _logger);
        if (_proof is not null)
            StartProof();
        else
            SendReady();
        _loop.Start($"ZeroBridge task worker {_endpoint}");
        TaskMetrics.Workers.Add(this);
        TasksLog.TaskWorkerStarted(_logger, Name, _endpoint);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops: waits up to <see cref="ZeroBridgeTaskWorkerOptions.ShutdownTimeout"/> for running tasks to answer, then
    /// cancels the rest, which are handed back unanswered (<see cref="HandedBack"/>), and says goodbye: the producer
    /// re-sends them at once.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!ComponentState.BeginStop(ref _state, _loop))
            return;
        TaskMetrics.Workers.Remove(this);
        await _running.WaitIdleAsync(_options.ShutdownTimeout, cancellationToken).ConfigureAwait(false);
        _stopping.Cancel();
        // The cancelled ones settle (each handed back) before the goodbye; one that ignores its token is not waited for.
        await _running.WaitIdleAsync(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
        await _loop.StopAsync(() => Send(TaskWire.Header("bye", ("name", Name))), CancellationToken.None).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <inheritdoc/>
    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    private void Send(byte[] header)
    {
        var message = new NetMQMessage(2);
        message.Append(TaskWire.SignatureBytes);
        message.Append(header);
        _socket!.TrySendMultipartMessage(message);
    }

    private void SendReady() => Send(TaskWire.Header("ready", ("name", Name), ("credit", Credit - _running.Count)));

    private void StartProof()
    {
        _provingSince = Environment.TickCount64;
        _socket!.TrySendMultipartMessage(_proof!.Hello());
    }

    /// <summary>The producer's answers to <c>auth.hello</c> and <c>auth.prove</c>: prove, then <c>ready</c>.</summary>
    private void OnProofReply(NetMQMessage reply)
    {
        if (_provingSince is null)
            return;
        ProofStep step;
        try
        {
            step = _proof!.Next(reply);
        }
        catch (ZeroBridgeProtocolException ex)
        {
            TasksLog.TaskWorkerUndecodableProofReply(_logger, ex.Message);
            return;
        }
        switch (step.Outcome)
        {
            case null when step.Request is { } next:
                _socket!.TrySendMultipartMessage(next);
                break;
            case ProofOutcome.Proved or ProofOutcome.NothingToProve:
                _provingSince = null;
                _refusal = null;
                if (step.Outcome == ProofOutcome.Proved)
                    TasksLog.TaskWorkerProved(_logger, Name, _proof!.Key);
                SendReady();
                break;
            case ProofOutcome.Refused:
                _provingSince = null;
                _nextProofAt = Environment.TickCount64 + (long)ProofPatience.TotalMilliseconds; // the allow-list may change: ask again later
                _refusal = $"The producer refused this worker's key {_proof!.Key}: {step.Refusal}";
                TasksLog.TaskWorkerKeyRefused(_logger, Name, _proof!.Key, step.Refusal);
                break;
        }
    }

    /// <summary>The producer's <c>unauthenticated</c> notice: this connection has not proved a key (docs/protocol.md §12.4).</summary>
    private void OnUnauthenticated()
    {
        if (_proof is null)
        {
            if (_refusal is null) // logged once: every heartbeat gets the notice again
                TasksLog.TaskWorkerNeedsCertificate(_logger, Name, _endpoint);
            _refusal = "The producer gives tasks only to workers whose key is on its allow-list, and this worker has no certificate.";
            return;
        }
        long now = Environment.TickCount64;
        if (now < _nextProofAt || (_provingSince is { } since && now - since < (long)ProofPatience.TotalMilliseconds))
            return; // refused a moment ago, or a proof is under way (notices sent before it was answered)
        StartProof();
    }

    private void OnTasks(object? sender, NetMQSocketEventArgs e)
    {
        for (int i = 0; i < 1000; i++)
        {
            var message = new NetMQMessage();
            if (!e.Socket.TryReceiveMultipartMessage(ref message))
                return;
            Volatile.Write(ref _lastHeard, Environment.TickCount64);
            if (_proof is not null && DealerProof.IsReply(message))
            {
                OnProofReply(message);
                continue;
            }
            if (message.FrameCount < 2 || !message[0].ToByteArray().AsSpan().SequenceEqual(TaskWire.SignatureBytes))
                continue;
            TaskHeader header;
            try
            {
                header = TaskWire.Parse(message[1].ToByteArray());
            }
            catch (ZeroBridgeProtocolException ex)
            {
                TasksLog.UndecodableTaskHeader(_logger, ex.Message);
                continue;
            }
            if (header.Type == TaskWire.Unauthenticated)
                OnUnauthenticated();
            if (header is { Type: "hb", Interval: > 0 and var interval })
                Volatile.Write(ref _producerInterval, interval);
            if (header.Type != "task")
                continue;
            _running.Enter();
            long bytes = message.FrameCount > 2 ? message[2].MessageSize : 0;
            if (header.Batch is null && _executor.MayRunInline(header.Kind, bytes))
            {
                // Declared non-blocking ([NonBlocking]) and small: run it here, sparing the hop to the pool and back.
                var quick = RunAsync(header, message);
                if (quick.IsCompletedSuccessfully)
                    SendResult(quick.Result);
                else
                    _ = quick.ContinueWith(done => _results.Enqueue(done.Result), CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                continue;
            }
            // On the pool: a command that blocks must not stop this thread's heartbeats (the producer would
            // take the worker for dead and re-send its tasks).
            _ = Task.Run(async () => _results.Enqueue(await RunAsync(header, message).ConfigureAwait(false)));
        }
    }

    /// <summary>The task's result message; null when it was handed back unanswered because the worker stopped.</summary>
    private async Task<NetMQMessage?> RunAsync(TaskHeader header, NetMQMessage message)
    {
        try
        {
            ReadOnlyMemory<byte>? arguments = message.FrameCount > 2 ? message[2].ToByteArray() : null;
            var attachments = new ReadOnlyMemory<byte>[Math.Max(0, message.FrameCount - 3)];
            for (int i = 0; i < attachments.Length; i++)
                attachments[i] = message[i + 3].ToByteArray();
            if (header.Kind is null)
                return Result(header, ExecutionOutcome.Failed(ErrorMap.Of(ErrorCodes.BadRequest, "The task has no kind.")));
            if (header.Batch is { } count)
                return await RunBatchAsync(header, count, arguments ?? ReadOnlyMemory<byte>.Empty, attachments).ConfigureAwait(false);
            var outcome = await _executor.ExecuteAsync(new CommandCall(header.Kind, null, arguments, attachments), new CallerContext(Name),
                _stopping.Token).ConfigureAwait(false);
            if (IsHandedBack(outcome))
            {
                await outcome.ReleaseAsync().ConfigureAwait(false);
                return null;
            }
            var result = Result(header, outcome);
            await outcome.ReleaseAsync().ConfigureAwait(false);
            return result;
        }
        catch (Exception ex)
        {
            TasksLog.TaskFault(_logger, ex);
            return Result(header, ExecutionOutcome.Failed(ErrorMap.Of(ErrorCodes.Internal, $"Worker fault: {ex.Message}")));
        }
    }

    /// <summary>
    /// Runs a batch's items one after the other (docs/protocol.md §12.5); each has its own outcome. A body that is not a
    /// batch of <paramref name="count"/> items gets one <c>bad_request</c> for the whole message.
    /// </summary>
    private async Task<NetMQMessage?> RunBatchAsync(TaskHeader header, long count, ReadOnlyMemory<byte> body, ReadOnlyMemory<byte>[] attachments)
    {
        ReadOnlyMemory<byte>[] items;
        try
        {
            items = TaskBatch.Items(body, count);
        }
        catch (ZeroBridgeProtocolException ex)
        {
            return Result(header, ExecutionOutcome.Failed(ErrorMap.Of(ErrorCodes.BadRequest, ex.Message)));
        }
        var outcomes = new List<(bool, byte[])>(items.Length);
        var resultAttachments = new List<ReadOnlyMemory<byte>>();
        foreach (var item in items)
        {
            var outcome = await _executor.ExecuteAsync(new CommandCall(header.Kind!, null, item, attachments), new CallerContext(Name),
                _stopping.Token).ConfigureAwait(false);
            if (IsHandedBack(outcome))
            {
                await outcome.ReleaseAsync().ConfigureAwait(false);
                return null; // the whole batch goes back: the producer re-sends it whole
            }
            var encoded = _executor.Encode(outcome, chunkTables: false, attachments: resultAttachments);
            await outcome.ReleaseAsync().ConfigureAwait(false);
            outcomes.Add((encoded.Ok, encoded.Payload));
        }
        var message = new NetMQMessage(3 + resultAttachments.Count);
        message.Append(TaskWire.SignatureBytes);
        message.Append(TaskWire.Header("result", ("id", header.RawId.ToArray()), ("ok", true), (TaskBatch.Key, count)));
        message.Append(TaskBatch.ResultBody(outcomes));
        foreach (var attachment in resultAttachments)
            message.Append(attachment.ToArray());
        return message;
    }

    /// <summary>
    /// Stopped under it: no result, so the goodbye hands the task back and the producer re-sends it at once to another
    /// worker (a "cancelled" result would fail the task instead).
    /// </summary>
    private bool IsHandedBack(ExecutionOutcome outcome)
    {
        if (!_stopping.IsCancellationRequested || outcome.Error?.Code != ErrorCodes.Cancelled)
            return false;
        Interlocked.Increment(ref _handedBack);
        return true;
    }

    /// <summary>signature | result header | payload | attachments... (docs/protocol.md §12.2); tables go whole.</summary>
    private NetMQMessage Result(TaskHeader header, ExecutionOutcome outcome)
    {
        var encoded = _executor.Encode(outcome, chunkTables: false);
        var message = new NetMQMessage(3 + encoded.Attachments.Count);
        message.Append(TaskWire.SignatureBytes);
        message.Append(TaskWire.Header("result", ("id", header.RawId.ToArray()), ("ok", encoded.Ok)));
        message.Append(encoded.Payload);
        foreach (var attachment in encoded.Attachments)
            message.Append(attachment.ToArray());
        return message;
    }

    /// <summary>Sends a result (none for a task handed back) and frees its credit.</summary>
    private void SendResult(NetMQMessage? result)
    {
        if (result is not null)
        {
            _socket!.TrySendMultipartMessage(result);
            Interlocked.Increment(ref _completed);
        }
        _running.Exit(); // its credit is back once the producer has the result
    }
}
