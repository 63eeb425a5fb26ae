namespace ZeroBridge.Majordomo;

/// <summary>A registered worker.</summary>
internal sealed class BrokerWorker(byte[] identity, string key, BrokerService service)
{
    public byte[] Identity { get; } = identity;
    public string Key { get; } = key;
    public BrokerService Service { get; } = service;
    public DateTime Expiry { get; set; }
    public PendingRequest? Current { get; set; }
    public HashSet<string> IdempotentCommands { get; set; } = new(StringComparer.Ordinal);
    public LinkedListNode<BrokerWorker>? IdleNode { get; set; }
    public long Served { get; set; }
}
