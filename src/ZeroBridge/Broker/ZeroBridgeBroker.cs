using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Protocol;
using ZeroBridge.Security;
using ZeroBridge.Serialization;
using ZeroBridge.Server;
using static ZeroBridge.Protocol.Majordomo;
using ZeroBridge.Transport;

namespace ZeroBridge.Broker;

/// <summary>
/// A Majordomo broker (7/MDP, with 8/MMI): clients send requests for a named service, workers register for
/// services, and the broker hands each request to an idle worker of its service and the reply back to the client.
/// Clients and workers only know the broker's address. See docs/protocol.md §9.
/// </summary>
/// <remarks>
/// <para>One ROUTER socket serves both sub-protocols, on one background thread (a <see cref="NetMQPoller"/>);
/// bodies are forwarded frame for frame, never decoded except to read a bridge header's <c>id</c>, <c>cmd</c>
/// and <c>timeout</c>.</para>
/// <para>Load balancing: per service, requests wait first come, first served, and go to the worker that has been
/// idle longest (least recently used). A worker runs one request at a time, as MDP requires; a process that wants
/// to run several at once opens several worker connections (<see cref="Worker.ZeroBridgeWorkerOptions.Concurrency"/>).</para>
/// <para>Failures: a worker is dead when it closes its connection or stays silent for
/// <see cref="ZeroBridgeBrokerOptions.WorkerExpiry"/>. Its request is re-sent to another worker when the worker
/// declared the command idempotent, else answered <c>worker_lost</c>. A request no worker takes within
/// <see cref="ZeroBridgeBrokerOptions.RequestTimeout"/> is answered <c>service_unavailable</c>.</para>
/// </remarks>
/// <example>
/// <code>
/// await using var broker = new ZeroBridgeBroker(ZeroBridgeBrokerOptions.Default with { Endpoint = "tcp://*:5555" });
/// broker.Start();
/// </code>
/// </example>
public sealed class ZeroBridgeBroker : IAsyncDisposable, IDisposable
{
    private static readonly byte[] DisconnectMarker = "\0zerobridge-peer-disconnected"u8.ToArray();
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);

    private readonly ZeroBridgeBrokerOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, BrokerService> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BrokerWorker> _workers = new(StringComparer.Ordinal);
    private readonly DateTime _started = DateTime.UtcNow;
    private RouterSocket? _router;
    private NetMQPoller? _poller;
    private NetMQTimer? _timer;
    private Thread? _thread;
    private DateTime _nextHeartbeat;
    private BrokerStatus _status = BrokerStatus.Empty;
    private long _requests, _replies, _unavailable, _workersLost, _retries, _requestsLost;
    private int _state; // 0 new, 1 started, 2 stopped

    /// <summary>Creates a broker; call <see cref="Start"/> to bind and serve.</summary>
    public ZeroBridgeBroker(ZeroBridgeBrokerOptions? options = null, ILogger<ZeroBridgeBroker>? logger = null)
    {
        _options = options ?? ZeroBridgeBrokerOptions.Default;
        if (_options.HeartbeatInterval <= TimeSpan.Zero || _options.HeartbeatLiveness < 1)
            throw new ArgumentException("HeartbeatInterval must be positive and HeartbeatLiveness at least 1.", nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The endpoint the broker is bound to, with the actual port when an ephemeral one was asked for.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>The services, worker counts, queue depths and counters, refreshed every 50 ms while running.</summary>
    public BrokerStatus Status => Volatile.Read(ref _status);

    /// <summary>Binds the endpoint and starts brokering on a background thread.</summary>
    /// <exception cref="InvalidOperationException">The broker was already started or stopped.</exception>
    /// <exception cref="NetMQException">The endpoint cannot be bound (then <see cref="Start"/> may be tried again).</exception>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
            throw new InvalidOperationException("A ZeroBridgeBroker starts once.");
        if (PlaintextExposure.Refusal("ZeroBridge broker", _options.Endpoint, EndpointAddress.IsLocalOnly(_options.Endpoint),
                _options.Certificate is not null, _options.Insecure) is { } exposure)
        {
            Volatile.Write(ref _state, ComponentState.New); // nothing started
            throw new ZeroBridgeException(exposure);
        }
        var router = new RouterSocket();
        router.UseCurveServer(_options.Certificate?.ToNetMQ());
        router.Options.Linger = TimeSpan.Zero;
        router.Options.RouterMandatory = true;
        router.Options.MaxMsgSize = _options.MaxFrameBytes;
        router.Options.DisconnectMessage = DisconnectMarker;
        router.Options.ReceiveHighWatermark = 100_000;
        router.Options.SendHighWatermark = 100_000;
        Endpoint = router.BindForStart(_options.Endpoint, ref _state);
        _router = router;
        router.ReceiveReady += OnReceiveReady;
        _timer = new NetMQTimer(Tick);
        _timer.Elapsed += (_, _) => OnTick();
        _nextHeartbeat = DateTime.UtcNow + _options.HeartbeatInterval;
        _poller = new NetMQPoller { router, _timer };
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = $"ZeroBridge broker {Endpoint}" };
        _thread.Start();
        _logger.LogInformation("ZeroBridge broker listening on {Endpoint} ({Security})", Endpoint,
            _options.Certificate is null ? "plain text" : $"CURVE, server key {_options.Certificate.PublicKey}");
    }

    /// <summary>
    /// Stops brokering: tells every worker DISCONNECT (so it re-registers with whatever broker comes next),
    /// answers waiting requests <c>service_unavailable</c>, and closes the socket.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
            return Task.CompletedTask;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task.Factory.StartNew(() =>
        {
            try
            {
                foreach (var worker in _workers.Values)
                    SendToWorker(worker.Identity, Command.Disconnect);
                foreach (var service in _services.Values)
                    foreach (var request in service.Queue)
                        ReplyError(request, BrokerErrorCodes.ServiceUnavailable, Majordomo.Status.ServiceUnavailable,
                            $"The broker is shutting down; service '{request.Service}' did not take the request.");
            }
            finally
            {
                done.TrySetResult();
            }
        }, CancellationToken.None, TaskCreationOptions.None, _poller!);
        return StopAfterAsync(done.Task, cancellationToken);
    }

    private async Task StopAfterAsync(Task drained, CancellationToken cancellationToken)
    {
        try
        {
            await drained.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("The broker's last messages were not sent within 5 s");
        }
        _poller!.Stop();
        _thread!.Join(TimeSpan.FromSeconds(5));
        _poller.Dispose();
        _router!.Dispose();
        _logger.LogInformation("ZeroBridge broker on {Endpoint} stopped", Endpoint);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <inheritdoc/>
    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    // ------------------------------------------------------------------ receiving

    private void OnReceiveReady(object? sender, NetMQSocketEventArgs e)
    {
        for (int i = 0; i < 1000; i++)
        {
            var message = new NetMQMessage();
            if (!e.Socket.TryReceiveMultipartMessage(ref message))
                return;
            try
            {
                Route(message);
            }
            catch (Exception ex)
            {
                // Nothing a peer sends may stop the broker.
                _logger.LogError(ex, "Unexpected fault handling a message; the message is dropped");
            }
        }
    }

    private void Route(NetMQMessage message)
    {
        byte[] sender = message[0].ToByteArray();
        string key = Convert.ToHexString(sender);
        if (message.FrameCount == 2 && IsFrame(message[1], DisconnectMarker))
        {
            PeerLeft(key);
            return;
        }

        // [sender] [""] signature ... (a DEALER client may leave the delimiter out, as with the direct server)
        bool delimited = message.FrameCount > 1 && message[1].MessageSize == 0;
        int signature = delimited ? 2 : 1;
        if (message.FrameCount > signature && IsFrame(message[signature], WireConstants.ClientSignatureBytes))
        {
            FromClient(sender, key, delimited, message, signature + 1);
            return;
        }
        if (delimited && message.FrameCount > 3 && IsFrame(message[2], WorkerSignatureBytes))
        {
            FromWorker(sender, key, message);
            return;
        }
        Invalid(sender, key, delimited, $"The message is neither MDP/Client ('{WireConstants.ClientSignature}') nor MDP/Worker " +
            $"('{WorkerSignature}' with a command frame) after an empty frame; this is a Majordomo broker (docs/protocol.md §9).");
    }

    /// <summary>Something that is not MDP: a known worker is dropped (RFC 7: "treat that peer as invalid"), anyone else gets a JSON error.</summary>
    private void Invalid(byte[] sender, string key, bool delimited, string reason)
    {
        if (_workers.TryGetValue(key, out var worker))
        {
            _logger.LogWarning("Worker {Worker} of '{Service}' sent an invalid message and is dropped: {Reason}", key, worker.Service.Name, reason);
            RemoveWorker(worker, "sent an invalid message");
            return;
        }
        _logger.LogDebug("Invalid message from {Peer}: {Reason}", key, reason);
        var reply = new NetMQMessage();
        reply.Append(sender);
        if (delimited)
            reply.AppendEmptyFrame();
        reply.Append(ErrorMap.Of(ErrorCodes.BadRequest, reason).EncodeJson(null));
        Send(reply);
    }

    private void PeerLeft(string key)
    {
        if (_workers.TryGetValue(key, out var worker))
        {
            _logger.LogInformation("Worker {Worker} of '{Service}' disconnected", key, worker.Service.Name);
            RemoveWorker(worker, "closed its connection");
            return;
        }
        // A client that left: its waiting requests have nobody to answer.
        foreach (var service in _services.Values.ToList())
        {
            for (var node = service.Queue.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.ClientKey == key)
                    service.Queue.Remove(node);
                node = next;
            }
            DropIfEmpty(service);
        }
    }

    // ------------------------------------------------------------------ clients

    private void FromClient(byte[] client, string key, bool delimited, NetMQMessage message, int serviceFrame)
    {
        if (message.FrameCount <= serviceFrame)
        {
            Invalid(client, key, delimited, "An MDP/Client request needs a service frame after 'MDPC01'.");
            return;
        }
        string service = message[serviceFrame].ConvertToString(Encoding.UTF8);
        var body = new List<NetMQFrame>(message.FrameCount - serviceFrame - 1);
        for (int i = serviceFrame + 1; i < message.FrameCount; i++)
            body.Add(message[i]);

        if (service.StartsWith(ManagementPrefix, StringComparison.Ordinal))
        {
            Management(client, key, delimited, service, body);
            return;
        }

        // Read what the broker needs of a bridge header; a foreign body (any MDP client) is forwarded as it is.
        ReadOnlyMemory<byte>? id = null;
        string? command = null;
        TimeSpan? timeout = null;
        if (body.Count > 0)
        {
            try
            {
                var header = RequestHeader.Parse(body[0].ToByteArray(), out _);
                if (header.IsCancel)
                {
                    CancelQueued(key, service, header.RawId);
                    return; // no reply to a cancel notification (docs/protocol.md §2)
                }
                id = header.RawId;
                command = header.Command;
                timeout = header.Timeout;
            }
            catch (ZeroBridgeProtocolException)
            {
            }
        }

        // Half the client's deadline at most: the error must reach the client before it gives up, and the other
        // half is the worker's to run the command.
        var wait = timeout is { } t && t / 2 < _options.RequestTimeout ? t / 2 : _options.RequestTimeout;
        var request = new PendingRequest
        {
            Client = client, ClientKey = key, HasDelimiter = delimited, Service = service, Body = body,
            BridgeId = id, Command = command, Deadline = DateTime.UtcNow + wait,
        };
        _requests++;
        if (string.IsNullOrEmpty(service))
        {
            ReplyError(request, ErrorCodes.BadRequest, Majordomo.Status.BadRequest, "The request's service frame is empty.");
            return;
        }
        var entry = ServiceNamed(service);
        if (entry.Queue.Count >= _options.MaxQueuedPerService)
        {
            _unavailable++;
            ReplyError(request, BrokerErrorCodes.ServiceUnavailable, Majordomo.Status.ServiceUnavailable,
                $"Service '{service}' already has {entry.Queue.Count} requests waiting; try again later.");
            return;
        }
        request.QueueNode = entry.Queue.AddLast(request);
        Dispatch(entry);
    }

    private void CancelQueued(string clientKey, string service, ReadOnlyMemory<byte> id)
    {
        if (!_services.TryGetValue(service, out var entry))
            return;
        for (var node = entry.Queue.First; node is not null; node = node.Next)
        {
            if (node.Value.ClientKey == clientKey && node.Value.BridgeId is { } queued && queued.Span.SequenceEqual(id.Span))
            {
                entry.Queue.Remove(node);
                DropIfEmpty(entry);
                return;
            }
        }
        // Already with a worker: MDP has no way to interrupt it; its reply will find nobody waiting.
    }

    // ------------------------------------------------------------------ workers

    private void FromWorker(byte[] identity, string key, NetMQMessage message)
    {
        // [identity] [""] "MDPW01" command ...
        var commandFrame = message[3];
        _workers.TryGetValue(key, out var worker);
        if (commandFrame.MessageSize != 1 || commandFrame.Buffer[0] is < (byte)Command.Ready or > (byte)Command.Disconnect)
        {
            Invalid(identity, key, true, $"Unknown MDP/Worker command frame of {commandFrame.MessageSize} byte(s).");
            return;
        }
        var command = (Command)commandFrame.Buffer[0];
        if (worker is not null)
            worker.Expiry = DateTime.UtcNow + _options.WorkerExpiry; // any command is a heartbeat

        switch (command)
        {
            case Command.Ready:
                if (message.FrameCount != 5)
                {
                    Invalid(identity, key, true, "READY has exactly one frame after the command: the service name.");
                    return;
                }
                string service = message[4].ConvertToString(Encoding.UTF8);
                if (worker is not null)
                    Unexpected(identity, worker, "sent a second READY");
                else if (service.Length == 0 || service.StartsWith(ManagementPrefix, StringComparison.Ordinal))
                    Unexpected(identity, null, $"tried to register the reserved or empty service '{service}'");
                else
                    Register(identity, key, service);
                return;

            case Command.Reply:
                if (worker?.Current is null)
                {
                    Unexpected(identity, worker, "sent REPLY without a request");
                    return;
                }
                if (message.FrameCount < 7 || message[5].MessageSize != 0 || !IsFrame(message[4], worker.Current.Client))
                {
                    Invalid(identity, key, true, "REPLY needs the client address of its request and an empty frame before the body.");
                    return;
                }
                var request = worker.Current;
                worker.Current = null;
                worker.Served++;
                _replies++;
                var reply = StartReply(request);
                for (int i = 6; i < message.FrameCount; i++)
                    reply.Append(message[i]);
                Send(reply);
                MakeIdle(worker);
                return;

            case Command.Heartbeat:
                if (message.FrameCount != 4)
                    Invalid(identity, key, true, "HEARTBEAT has no frames after the command.");
                else if (worker is null)
                    Unexpected(identity, null, "sent HEARTBEAT without READY");
                return;

            case Command.Disconnect:
                if (worker is not null)
                {
                    _logger.LogInformation("Worker {Worker} of '{Service}' said DISCONNECT", key, worker.Service.Name);
                    RemoveWorker(worker, "said DISCONNECT");
                }
                return;

            default: // REQUEST is the broker's to send
                Unexpected(identity, worker, $"sent {command}, which only the broker sends");
                return;
        }
    }

    /// <summary>RFC 7: "respond to any valid but unexpected command by sending DISCONNECT and then no further commands".</summary>
    private void Unexpected(byte[] identity, BrokerWorker? worker, string what)
    {
        _logger.LogInformation("Worker {Worker} {What}; sending DISCONNECT", Convert.ToHexString(identity), what);
        SendToWorker(identity, Command.Disconnect);
        if (worker is not null)
            RemoveWorker(worker, what);
    }

    private void Register(byte[] identity, string key, string serviceName)
    {
        var service = ServiceNamed(serviceName);
        var worker = new BrokerWorker(identity, key, service) { Expiry = DateTime.UtcNow + _options.WorkerExpiry };
        _workers[key] = worker;
        service.Workers.Add(worker);
        _logger.LogInformation("Worker {Worker} registered for '{Service}' ({Count} now)", key, serviceName, service.Workers.Count);
        MakeIdle(worker);
    }

    private void MakeIdle(BrokerWorker worker)
    {
        worker.IdleNode = worker.Service.Idle.AddLast(worker); // the back of the line: least recently used goes first
        Dispatch(worker.Service);
    }

    private void RemoveWorker(BrokerWorker worker, string why)
    {
        _workers.Remove(worker.Key);
        var service = worker.Service;
        service.Workers.Remove(worker);
        if (worker.IdleNode is not null)
        {
            service.Idle.Remove(worker.IdleNode);
            worker.IdleNode = null;
        }
        _workersLost++;
        if (worker.Current is { } request)
        {
            worker.Current = null;
            if (request.Command is not null && worker.IdempotentCommands.Contains(request.Command) && request.Retries < _options.MaxRetries)
            {
                request.Retries++;
                _retries++;
                request.Deadline = DateTime.UtcNow + _options.RequestTimeout;
                request.QueueNode = service.Queue.AddFirst(request); // it waited its turn already
                _logger.LogWarning("Worker {Worker} of '{Service}' {Why} while running '{Command}'; the command is idempotent, retry {Retry}",
                    worker.Key, service.Name, why, request.Command, request.Retries);
                Dispatch(service);
            }
            else
            {
                _requestsLost++;
                string what = request.Command is null ? "the request" : $"'{request.Command}'";
                string reason = request.Command is null || !worker.IdempotentCommands.Contains(request.Command)
                    ? "it is not marked idempotent, so it was not re-sent; it may or may not have run"
                    : $"it was re-sent {request.Retries} time(s) already";
                _logger.LogWarning("Worker {Worker} of '{Service}' {Why} while running {What}", worker.Key, service.Name, why, what);
                ReplyError(request, BrokerErrorCodes.WorkerLost, Majordomo.Status.WorkerLost,
                    $"The worker of service '{service.Name}' running {what} was lost ({why}); {reason}.",
                    new Dictionary<string, object?> { ["service"] = service.Name, ["command"] = request.Command, ["retries"] = request.Retries });
            }
        }
        DropIfEmpty(service);
    }

    private void Dispatch(BrokerService service)
    {
        while (service.Queue.First is { } next && service.Idle.First is { } idle)
        {
            var request = next.Value;
            var worker = idle.Value;
            service.Queue.RemoveFirst();
            request.QueueNode = null;
            service.Idle.RemoveFirst();
            worker.IdleNode = null;
            worker.Current = request;

            var message = new NetMQMessage(6 + request.Body.Count);
            message.Append(worker.Identity);
            message.AppendEmptyFrame();
            message.Append(WorkerSignatureBytes);
            message.Append(new[] { (byte)Command.Request });
            message.Append(request.Client);
            message.AppendEmptyFrame();
            foreach (var frame in request.Body)
                message.Append(frame);
            if (!Send(message))
                RemoveWorker(worker, "cannot be reached");
        }
    }

    // ------------------------------------------------------------------ management (8/MMI)

    private void Management(byte[] client, string key, bool delimited, string service, List<NetMQFrame> body)
    {
        string? First() => body.Count > 0 ? body[0].ConvertToString(Encoding.UTF8) : null;
        string[] frames;
        switch (service)
        {
            case Services.Service:
                frames = [First() is { } name && _services.TryGetValue(name, out var found) && found.Workers.Count > 0
                    ? Majordomo.Status.Ok : Majordomo.Status.NotFound];
                break;
            case Services.ServiceList:
                frames = [Majordomo.Status.Ok, JsonSerializer.Serialize(Snapshot().Services.Select(ServiceJson))];
                break;
            case Services.Workers:
                if (First() is { } workersOf && _services.TryGetValue(workersOf, out var entry))
                {
                    var now = DateTime.UtcNow;
                    frames = [Majordomo.Status.Ok, JsonSerializer.Serialize(new Dictionary<string, object?>
                    {
                        ["service"] = entry.Name,
                        ["queued"] = entry.Queue.Count,
                        ["workers"] = entry.Workers.Select(w => new Dictionary<string, object?>
                        {
                            ["id"] = w.Key,
                            ["busy"] = w.Current is not null,
                            ["command"] = w.Current?.Command,
                            ["served"] = w.Served,
                            ["expires_in_ms"] = (long)(w.Expiry - now).TotalMilliseconds,
                            ["idempotent"] = w.IdempotentCommands.Order(StringComparer.Ordinal).ToList(),
                        }).ToList(),
                    })];
                }
                else
                    frames = [Majordomo.Status.NotFound];
                break;
            case Services.Broker:
                var counters = Snapshot().Counters;
                frames = [Majordomo.Status.Ok, JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["endpoint"] = Endpoint,
                    ["uptime_seconds"] = Math.Round((DateTime.UtcNow - _started).TotalSeconds, 3),
                    ["heartbeat_interval_ms"] = (long)_options.HeartbeatInterval.TotalMilliseconds,
                    ["heartbeat_liveness"] = _options.HeartbeatLiveness,
                    ["request_timeout_ms"] = (long)_options.RequestTimeout.TotalMilliseconds,
                    ["services"] = _services.Count,
                    ["workers"] = _workers.Count,
                    ["requests"] = counters.Requests,
                    ["replies"] = counters.Replies,
                    ["unavailable"] = counters.Unavailable,
                    ["workers_lost"] = counters.WorkersLost,
                    ["retries"] = counters.Retries,
                    ["requests_lost"] = counters.RequestsLost,
                })];
                break;
            case Services.Idempotent:
                if (_workers.TryGetValue(key, out var worker))
                {
                    worker.IdempotentCommands = body.Select(f => f.ConvertToString(Encoding.UTF8)).ToHashSet(StringComparer.Ordinal);
                    frames = [Majordomo.Status.Ok];
                }
                else
                    frames = [Majordomo.Status.NotFound]; // only a registered worker can declare its commands
                break;
            default:
                frames = [Majordomo.Status.NotImplemented];
                break;
        }
        var reply = new NetMQMessage();
        reply.Append(client);
        if (delimited)
            reply.AppendEmptyFrame();
        reply.Append(WireConstants.ClientSignatureBytes);
        reply.Append(Encoding.UTF8.GetBytes(service));
        foreach (var frame in frames)
            reply.Append(Encoding.UTF8.GetBytes(frame));
        Send(reply);
    }

    private static Dictionary<string, object?> ServiceJson(ServiceStatus s) => new()
    {
        ["service"] = s.Name, ["workers"] = s.Workers, ["idle"] = s.Idle, ["busy"] = s.Busy, ["queued"] = s.Queued,
    };

    // ------------------------------------------------------------------ time

    private void OnTick()
    {
        try
        {
            var now = DateTime.UtcNow;
            foreach (var worker in _workers.Values.Where(w => w.Expiry < now).ToList())
            {
                _logger.LogWarning("Worker {Worker} of '{Service}' sent nothing for {Expiry}; removed", worker.Key, worker.Service.Name, _options.WorkerExpiry);
                RemoveWorker(worker, $"sent no heartbeat for {_options.WorkerExpiry.TotalSeconds:0.###} s");
            }
            foreach (var service in _services.Values.ToList())
            {
                while (service.Queue.First is { } first && first.Value.Deadline <= now)
                {
                    // Deadlines are in arrival order, except retried requests at the front; those expire here too.
                    service.Queue.RemoveFirst();
                    _unavailable++;
                    var request = first.Value;
                    ReplyError(request, BrokerErrorCodes.ServiceUnavailable, Majordomo.Status.ServiceUnavailable,
                        service.Workers.Count == 0
                            ? $"No worker offers service '{service.Name}': none registered within the broker's wait."
                            : $"Service '{service.Name}' has {service.Workers.Count} worker(s), all busy through the broker's wait.",
                        new Dictionary<string, object?> { ["service"] = service.Name, ["workers"] = service.Workers.Count });
                }
                DropIfEmpty(service);
            }
            if (now >= _nextHeartbeat)
            {
                foreach (var worker in _workers.Values)
                    SendToWorker(worker.Identity, Command.Heartbeat);
                _nextHeartbeat = now + _options.HeartbeatInterval;
            }
            Volatile.Write(ref _status, Snapshot());
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Unexpected fault in the broker's timer");
        }
    }

    private BrokerStatus Snapshot() => new(
        _services.Values.Select(s => s.Status()).OrderBy(s => s.Name, StringComparer.Ordinal).ToList(),
        new BrokerCounters(_requests, _replies, _unavailable, _workersLost, _retries, _requestsLost));

    // ------------------------------------------------------------------ sending

    private BrokerService ServiceNamed(string name)
    {
        if (!_services.TryGetValue(name, out var service))
            _services[name] = service = new BrokerService(name);
        return service;
    }

    private void DropIfEmpty(BrokerService service)
    {
        if (service.IsEmpty)
            _services.Remove(service.Name);
    }

    private static NetMQMessage StartReply(PendingRequest request)
    {
        var reply = new NetMQMessage();
        reply.Append(request.Client);
        if (request.HasDelimiter)
            reply.AppendEmptyFrame();
        reply.Append(WireConstants.ClientSignatureBytes);
        reply.Append(Encoding.UTF8.GetBytes(request.Service));
        return reply;
    }

    /// <summary>
    /// An error reply from the broker itself: in the bridge protocol's form (header + error map) when the request
    /// was a bridge request, else two text frames, an MMI-style status code and a message (docs/protocol.md §9.5).
    /// </summary>
    private void ReplyError(PendingRequest request, string code, string status, string message,
        IReadOnlyDictionary<string, object?>? details = null)
    {
        var reply = StartReply(request);
        if (request.BridgeId is { } id)
        {
            ReplyBody.Failure(id, ErrorMap.Of(code, message, details), WireSerializer.BaseOptions).AppendTo(reply);
        }
        else
        {
            reply.Append(Encoding.ASCII.GetBytes(status));
            reply.Append(Encoding.UTF8.GetBytes(message));
        }
        Send(reply);
    }

    private void SendToWorker(byte[] identity, Command command)
    {
        var message = new NetMQMessage(4);
        message.Append(identity);
        message.AppendEmptyFrame();
        message.Append(WorkerSignatureBytes);
        message.Append(new[] { (byte)command });
        Send(message);
    }

    private bool Send(NetMQMessage message)
    {
        try
        {
            if (_router!.TrySendWithoutCopy(message, TimeSpan.Zero))
                return true;
            _logger.LogWarning("A message was dropped: its peer is not reading (its queue is full)");
        }
        catch (HostUnreachableException)
        {
            _logger.LogDebug("A peer left before its message was sent; the message is dropped");
        }
        return false;
    }

    private static bool IsFrame(NetMQFrame frame, byte[] expected) =>
        frame.Buffer.AsSpan(0, frame.MessageSize).SequenceEqual(expected);
}
