using Microsoft.Extensions.Logging;
using ZeroBridge.Protocol;
using static ZeroBridge.Protocol.Majordomo;

namespace ZeroBridge.Majordomo;

/// <summary>
/// What a Majordomo broker knows and decides, without sockets: the services, each with its waiting requests (first
/// come, first served) and its idle workers (least recently used first); deadlines; worker expiry; re-sending the
/// requests of a lost worker when they are idempotent; the counters. Its driver (<see cref="ZeroBridgeBroker"/>)
/// reads messages off the socket, calls in, and sends what it is told through <see cref="IBrokerOutput"/>.
/// </summary>
/// <remarks>Not thread-safe: the broker's socket thread owns it. Time comes in as arguments, so tests choose it.</remarks>
internal sealed class BrokerBookkeeping(ZeroBridgeBrokerOptions options, IBrokerOutput output, ILogger logger)
{
    private readonly Dictionary<string, BrokerService> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BrokerWorker> _workers = new(StringComparer.Ordinal);
    private DateTime _nextHeartbeat = DateTime.MinValue;
    private long _requests, _replies, _unavailable, _workersLost, _retries, _requestsLost;

    /// <summary>The services with a worker or a waiting request.</summary>
    public IReadOnlyDictionary<string, BrokerService> Services => _services;

    /// <summary>The registered workers, by identity (hex).</summary>
    public IReadOnlyDictionary<string, BrokerWorker> Workers => _workers;

    /// <summary>The services and counters now.</summary>
    public BrokerStatus Status() => new(
        _services.Values.Select(s => s.Status()).OrderBy(s => s.Name, StringComparer.Ordinal).ToList(),
        new BrokerCounters(_requests, _replies, _unavailable, _workersLost, _retries, _requestsLost));

    // ------------------------------------------------------------------ clients

    /// <summary>
    /// A client's request for a service: waits in its service's queue, and goes to an idle worker at once if there
    /// is one. Refused (answered at once) when the service frame is empty, there is no body, or the queue is full.
    /// </summary>
    public void Accept(PendingRequest request)
    {
        _requests++;
        if (string.IsNullOrEmpty(request.Service))
        {
            output.Fail(request, ErrorCodes.BadRequest, Protocol.Majordomo.Status.BadRequest, "The request's service frame is empty.");
            return;
        }
        if (request.Body.Count == 0)
        {
            // Forwarded, it would reach a worker as a REQUEST it cannot answer (docs/protocol.md §9.3).
            output.Fail(request, ErrorCodes.BadRequest, Protocol.Majordomo.Status.BadRequest, "The request has no body after its service frame.");
            return;
        }
        var service = ServiceNamed(request.Service);
        if (service.Queue.Count >= options.MaxQueuedPerService)
        {
            _unavailable++;
            output.Fail(request, BrokerErrorCodes.ServiceUnavailable, Protocol.Majordomo.Status.ServiceUnavailable,
                $"Service '{request.Service}' already has {service.Queue.Count} requests waiting; try again later.");
            DropIfEmpty(service);
            return;
        }
        request.QueueNode = service.Queue.AddLast(request);
        Dispatch(service);
    }

    /// <summary>A client's cancel: its request leaves the queue if it is still waiting (a running one cannot be stopped).</summary>
    public void CancelQueued(string clientKey, string service, ReadOnlyMemory<byte> id)
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

    /// <summary>A peer closed its connection: a worker is lost; a client's waiting requests have nobody to answer.</summary>
    public void PeerLeft(string key, DateTime now)
    {
        if (_workers.TryGetValue(key, out var worker))
        {
            MajordomoLog.BrokerWorkerDisconnected(logger, key, worker.Service.Name);
            RemoveWorker(worker, "closed its connection", now);
            return;
        }
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

    // ------------------------------------------------------------------ workers

    /// <summary>A worker said READY for <paramref name="serviceName"/>: it joins the back of the service's idle line.</summary>
    public BrokerWorker Register(byte[] identity, string key, string serviceName, DateTime now)
    {
        var service = ServiceNamed(serviceName);
        var worker = new BrokerWorker(identity, key, service) { Expiry = now + options.WorkerExpiry };
        _workers[key] = worker;
        service.Workers.Add(worker);
        MajordomoLog.BrokerWorkerRegistered(logger, key, serviceName, service.Workers.Count);
        MakeIdle(worker);
        return worker;
    }

    /// <summary>Anything from a worker shows it is alive.</summary>
    public void Heard(BrokerWorker worker, DateTime now) => worker.Expiry = now + options.WorkerExpiry;

    /// <summary>A worker replied to its request: the request it was running (now done); the worker is idle again.</summary>
    /// <remarks>Call <see cref="MadeIdle"/> once the reply is sent, so the next request goes out after it.</remarks>
    public PendingRequest Replied(BrokerWorker worker)
    {
        var request = worker.Current ?? throw new InvalidOperationException("The worker is running no request.");
        worker.Current = null;
        worker.Served++;
        _replies++;
        return request;
    }

    /// <summary>A worker that replied goes to the back of the idle line, and takes the next request if one waits.</summary>
    public void MadeIdle(BrokerWorker worker) => MakeIdle(worker);

    /// <summary>A worker declares which of its commands may safely run twice (<c>mmi.idempotent</c>); false when it is not registered.</summary>
    public bool DeclareIdempotent(string key, IEnumerable<string> commands)
    {
        if (!_workers.TryGetValue(key, out var worker))
            return false;
        worker.IdempotentCommands = commands.ToHashSet(StringComparer.Ordinal);
        return true;
    }

    /// <summary>
    /// A worker is gone (closed, silent, misbehaving, said DISCONNECT). Its request is re-sent to another worker of the
    /// service when the command is idempotent and retries remain, else answered <c>worker_lost</c>.
    /// </summary>
    public void RemoveWorker(BrokerWorker worker, string why, DateTime now)
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
            bool idempotent = request.Command is not null && worker.IdempotentCommands.Contains(request.Command);
            if (idempotent && request.Retries < options.MaxRetries)
            {
                request.Retries++;
                _retries++;
                request.Deadline = now + options.RequestTimeout;
                request.QueueNode = service.Queue.AddFirst(request); // it waited its turn already
                MajordomoLog.BrokerRequestRetried(logger, worker.Key, service.Name, why, request.Command, request.Retries);
                Dispatch(service);
            }
            else
            {
                _requestsLost++;
                string what = request.Command is null ? "the request" : $"'{request.Command}'";
                string reason = idempotent
                    ? $"it was re-sent {request.Retries} time(s) already"
                    : "it is not marked idempotent, so it was not re-sent; it may or may not have run";
                MajordomoLog.BrokerWorkerLost(logger, worker.Key, service.Name, why, what);
                output.Fail(request, BrokerErrorCodes.WorkerLost, Protocol.Majordomo.Status.WorkerLost,
                    $"The worker of service '{service.Name}' running {what} was lost ({why}); {reason}.",
                    new Dictionary<string, object?> { ["service"] = service.Name, ["command"] = request.Command, ["retries"] = request.Retries });
            }
        }
        DropIfEmpty(service);
    }

    // ------------------------------------------------------------------ time

    /// <summary>
    /// The clock moved: workers silent past their expiry are removed, requests past their deadline are answered
    /// <c>service_unavailable</c>, and every worker gets a heartbeat when one is due.
    /// </summary>
    public void Tick(DateTime now)
    {
        foreach (var worker in _workers.Values.Where(w => w.Expiry < now).ToList())
        {
            MajordomoLog.BrokerWorkerExpired(logger, worker.Key, worker.Service.Name, options.WorkerExpiry);
            RemoveWorker(worker, $"sent no heartbeat for {options.WorkerExpiry.TotalSeconds:0.###} s", now);
        }
        foreach (var service in _services.Values.ToList())
        {
            while (service.Queue.First is { } first && first.Value.Deadline <= now)
            {
                // Deadlines are in arrival order, except retried requests at the front; those expire here too.
                service.Queue.RemoveFirst();
                _unavailable++;
                output.Fail(first.Value, BrokerErrorCodes.ServiceUnavailable, Protocol.Majordomo.Status.ServiceUnavailable,
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
                output.SendToWorker(worker.Identity, Command.Heartbeat);
            _nextHeartbeat = now + options.HeartbeatInterval;
        }
    }

    /// <summary>The broker stops: every worker is told DISCONNECT, every waiting request is answered <c>service_unavailable</c>.</summary>
    public void ShutDown()
    {
        foreach (var worker in _workers.Values)
            output.SendToWorker(worker.Identity, Command.Disconnect);
        foreach (var service in _services.Values)
            foreach (var request in service.Queue)
                output.Fail(request, BrokerErrorCodes.ServiceUnavailable, Protocol.Majordomo.Status.ServiceUnavailable,
                    $"The broker is shutting down; service '{request.Service}' did not take the request.");
    }

    // ------------------------------------------------------------------ the lines

    private void MakeIdle(BrokerWorker worker)
    {
        worker.IdleNode = worker.Service.Idle.AddLast(worker); // the back of the line: least recently used goes first
        Dispatch(worker.Service);
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
            if (!output.SendRequest(worker, request))
                RemoveWorker(worker, "cannot be reached", DateTime.UtcNow);
        }
    }

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
}
