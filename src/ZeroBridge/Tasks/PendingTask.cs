namespace ZeroBridge.Tasks;

/// <summary>A task, encoded once by the caller, from submission until its one result is delivered.</summary>
internal sealed class PendingTask(long id, int index, TaskJob job, byte[] body, IReadOnlyList<ReadOnlyMemory<byte>> attachments, int batch = 0)
{
    /// <summary>The id on the wire, unique within the producer.</summary>
    public long Id { get; } = id;

    /// <summary>The position in its job of the task's (first) item.</summary>
    public int Index { get; } = index;

    /// <summary>0 for a task of one item; N for a batch of the N items from <see cref="Index"/> on (docs/protocol.md §12.5).</summary>
    public int Batch { get; } = batch;

    /// <summary>How many items (results) the task stands for.</summary>
    public int Items => Math.Max(1, Batch);

    /// <summary>The job the task belongs to.</summary>
    public TaskJob Job { get; } = job;

    /// <summary>The encoded arguments (the task message's body frame).</summary>
    public byte[] Body { get; } = body;

    /// <summary>The body's attachment frames (table buffers).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Attachments { get; } = attachments;

    /// <summary>How many times it was sent.</summary>
    public int Attempts { get; set; }

    /// <summary>The worker running it now; null while it waits in a queue or once it is finished.</summary>
    public PoolWorker? Worker { get; set; }

    /// <summary>When it was last sent (milliseconds of the scheduler's clock).</summary>
    public long SentAt { get; set; }

    /// <summary>Its result was delivered, or its job abandoned: nothing more happens to it.</summary>
    public bool Finished { get; set; }
}
