using Microsoft.Extensions.Logging;
using ZeroBridge.Protocol;
using ZeroBridge.Serialization;

namespace ZeroBridge.Tasks;

/// <summary>
/// What a task producer knows and decides, without sockets (docs/protocol.md §12): the workers and their credit,
/// the queue (re-sent tasks before new ones), which worker runs which task, worker and task time-outs, re-sending a
/// lost worker's tasks, and exactly one result per task. Its driver (<see cref="ZeroBridgeTaskProducer"/>) reads
/// messages off the socket, calls in, and sends what it is told through <see cref="ITaskPoolOutput"/>.
/// </summary>
/// <remarks>Not thread-safe: the producer's socket thread owns it. Time comes in as arguments (milliseconds of a
/// monotonic clock), so tests choose it. The counters may be read from any thread.</remarks>
internal sealed class CreditScheduler(ZeroBridgeTaskProducerOptions options, ITaskPoolOutput output, ILogger logger)
{
    private readonly Dictionary<byte[], PoolWorker> _workers = new(IdentityComparer.Instance);
    private readonly Queue<PoolWorker> _ready = new();     // workers with credit, least recently served first
    private readonly Queue<PendingTask> _retries = new();  // re-sent tasks go before new ones
    private readonly Queue<PendingTask> _queue = new();
    private readonly Dictionary<long, PendingTask> _tasks = new();
    private readonly HashSet<TaskJob> _jobs = new();
    private long _resent, _duplicates, _workersLost;

    /// <summary>The workers connected now.</summary>
    public int WorkerCount => _workers.Count;

    /// <summary>The routing ids of the workers connected now (for the producer's heartbeats).</summary>
    public IEnumerable<byte[]> WorkerIdentities => _workers.Keys;

    /// <summary>Tasks sent again after their worker was lost or they timed out.</summary>
    public long Resent => Interlocked.Read(ref _resent);

    /// <summary>Results dropped: for a task already finished, or one the worker was never given.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Workers that left, went silent or became unreachable.</summary>
    public long WorkersLost => Interlocked.Read(ref _workersLost);

    /// <summary>Queues a job's tasks (call <see cref="Dispatch"/> to send what credit allows).</summary>
    public void Submit(TaskJob job)
    {
        _jobs.Add(job);
        foreach (var task in job.Tasks)
        {
            _tasks[task.Id] = task;
            _queue.Enqueue(task);
        }
    }

    /// <summary>Forgets a job its caller stopped waiting for: tasks not yet sent are dropped, late results ignored.</summary>
    public void Abandon(TaskJob job)
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

    /// <summary>
    /// A message from a worker. <paramref name="payload"/> and <paramref name="attachments"/> are a result's body
    /// frames (empty for other messages).
    /// </summary>
    public void Heard(byte[] identity, TaskHeader header, long now, byte[]? payload = null, ReadOnlyMemory<byte>[]? attachments = null)
    {
        _workers.TryGetValue(identity, out var worker);
        if (header.Type == "bye")
        {
            if (worker is not null)
                Lose(worker, "left");
            return;
        }
        if (worker is null)
        {
            worker = new PoolWorker(identity, header.Name ?? Convert.ToHexString(identity), now);
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
                Complete(id, header, payload, attachments ?? [], worker);
                break;
            case "result":
                Interlocked.Increment(ref _duplicates);
                break;
        }
    }

    /// <summary>
    /// The worker of <paramref name="identity"/> is lost at once and its tasks re-sent (producers with an allow-list;
    /// docs/security.md): its connection has gone, so a newcomer that takes the same routing id inherits nothing, or
    /// its key left the allow-list, so it gets no task more.
    /// </summary>
    public void Drop(byte[] identity, string reason)
    {
        if (_workers.TryGetValue(identity, out var worker))
            Lose(worker, reason);
    }

    /// <summary>Sends queued tasks, re-sent ones first, to the workers with credit, least recently served first.</summary>
    public void Dispatch(long now)
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
            if (!output.SendTask(worker, task))
            {
                task.Attempts--;
                _retries.Enqueue(task); // goes out next, to another worker
                Lose(worker, "unreachable");
                continue;
            }
            task.Worker = worker;
            task.SentAt = now;
            worker.Running.Add(task.Id);
            worker.Owed.Add(task.Id);
            if (--worker.Credit > 0)
                _ready.Enqueue(worker);
        }
    }

    /// <summary>Loses workers not heard for the worker timeout and re-sends tasks running longer than the task timeout.</summary>
    public void Tick(long now)
    {
        long workerTimeout = (long)options.WorkerTimeout.TotalMilliseconds;
        List<PoolWorker>? lost = null;
        foreach (var worker in _workers.Values)
            if (now - worker.LastHeard > workerTimeout)
                (lost ??= []).Add(worker);
        if (lost is not null)
            foreach (var worker in lost)
                Lose(worker, $"not heard for {options.WorkerTimeout.TotalSeconds:g} s");
        if (options.TaskTimeout is { } taskTimeout)
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

    /// <summary>Ends every running job with <paramref name="error"/> (the producer stopped).</summary>
    public void ShutDown(Exception error)
    {
        foreach (var job in _jobs)
            job.Results.Writer.TryComplete(error);
        _jobs.Clear();
    }

    private void Complete(long id, TaskHeader header, byte[]? payload, ReadOnlyMemory<byte>[] attachments, PoolWorker worker)
    {
        if (!_tasks.Remove(id, out var task))
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }
        task.Finished = true;
        task.Worker = null;
        Deliver(task, new RawTaskResult(task, header.Ok, payload, attachments, task.Attempts, worker.Name, header.Batch));
    }

    private void Deliver(PendingTask task, RawTaskResult result)
    {
        var job = task.Job;
        job.Results.Writer.TryWrite(result);
        if (++job.Delivered == job.Tasks.Count)
        {
            _jobs.Remove(job);
            job.Results.Writer.TryComplete();
        }
    }

    private void Grant(PoolWorker worker, int credit)
    {
        if (credit <= 0)
            return;
        if (worker.Credit == 0)
            _ready.Enqueue(worker);
        // A worker's credit is what it runs at once; beyond the cap it would only hoard the queue.
        worker.Credit = (int)Math.Min((long)worker.Credit + credit, options.MaxCreditPerWorker);
    }

    private void Lose(PoolWorker worker, string reason)
    {
        worker.Lost = true;
        _workers.Remove(worker.Identity);
        Interlocked.Increment(ref _workersLost);
        WorkersChanged();
        if (worker.Running.Count > 0)
            TasksLog.TasksResent(logger, worker.Name, reason, worker.Running.Count);
        foreach (long id in worker.Running.Order())
            if (_tasks.TryGetValue(id, out var task))
                Retry(task, $"worker {worker.Name} {reason}");
        worker.Running.Clear();
    }

    private void Retry(PendingTask task, string reason)
    {
        task.Worker = null;
        if (task.Attempts >= options.MaxAttempts)
        {
            _tasks.Remove(task.Id);
            task.Finished = true;
            byte[] payload = new ErrorMap(BrokerErrorCodes.WorkerLost, "",
                $"task {task.Id} ({task.Job.Kind}) was sent {task.Attempts} time(s) and never answered (last: {reason})", null, null)
                .Encode(WireSerializer.BaseOptions);
            Deliver(task, new RawTaskResult(task, false, payload, [], task.Attempts, ""));
            return;
        }
        Interlocked.Increment(ref _resent);
        _retries.Enqueue(task);
    }

    private void WorkersChanged() => output.WorkersChanged(_workers.Values.Select(w => w.Name).ToArray());

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
