namespace ZeroBridge.Tasks;

/// <summary>A task, encoded once by the caller, from submission until its one result is delivered.</summary>
internal sealed class PendingTask(long id, int index, TaskJob job, byte[] body, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
{
    /// <summary>The id on the wire, unique within the producer.</summary>
    public long Id { get; } = id;

    /// <summary>The task's position in its job.</summary>
    public int Index { get; } = index;

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
