namespace ZeroBridge.Tasks;

/// <summary>A task worker as the scheduler sees it: its credit, what it runs, when it was last heard.</summary>
internal sealed class PoolWorker(byte[] identity, string name, long lastHeard)
{
    /// <summary>Its routing identity on the producer's ROUTER socket.</summary>
    public byte[] Identity { get; } = identity;

    /// <summary>The name it gave, or its identity in hex.</summary>
    public string Name { get; } = name;

    /// <summary>When anything from it last arrived (milliseconds of the scheduler's clock).</summary>
    public long LastHeard { get; set; } = lastHeard;

    /// <summary>How many more tasks it may be sent now.</summary>
    public int Credit { get; set; }

    /// <summary>The tasks it runs that are still its own (a timed-out task is re-sent elsewhere and leaves this set).</summary>
    public HashSet<long> Running { get; } = [];

    /// <summary>Tasks sent to this worker it has not answered, also those re-sent elsewhere after a timeout.</summary>
    public HashSet<long> Owed { get; } = [];

    /// <summary>It left, went silent or became unreachable; it is never sent anything again.</summary>
    public bool Lost { get; set; }
}
