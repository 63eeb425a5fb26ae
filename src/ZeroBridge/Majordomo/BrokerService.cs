namespace ZeroBridge.Majordomo;

/// <summary>
/// One service: its waiting requests (first come, first served) and its idle workers, least recently used first.
/// </summary>
internal sealed class BrokerService(string name)
{
    public string Name { get; } = name;
    public LinkedList<PendingRequest> Queue { get; } = new();
    public LinkedList<BrokerWorker> Idle { get; } = new();
    public HashSet<BrokerWorker> Workers { get; } = [];

    public bool IsEmpty => Workers.Count == 0 && Queue.Count == 0;

    public ServiceStatus Status() => new(Name, Workers.Count, Idle.Count, Workers.Count - Idle.Count, Queue.Count);
}
