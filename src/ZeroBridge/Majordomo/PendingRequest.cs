using NetMQ;

namespace ZeroBridge.Majordomo;

/// <summary>A client request inside the broker: who sent it, its body, and what the broker could read of it.</summary>
internal sealed class PendingRequest
{
    public required byte[] Client { get; init; }
    public required string ClientKey { get; init; }
    public required bool HasDelimiter { get; init; }
    public required string Service { get; init; }
    /// <summary>The body frames (frames 3+ of the client's request), forwarded untouched.</summary>
    public required IReadOnlyList<NetMQFrame> Body { get; init; }
    /// <summary>The bridge header's id (raw msgpack) when the body is a bridge request; null for a foreign body.</summary>
    public ReadOnlyMemory<byte>? BridgeId { get; init; }
    /// <summary>The client's proved identity when the broker authenticates (it is stamped on the request to the worker).</summary>
    public ZeroBridge.Security.CallerIdentity? Caller { get; init; }
    /// <summary>The bridge header's command, when readable.</summary>
    public string? Command { get; init; }
    /// <summary>When the request stops waiting for a worker.</summary>
    public DateTime Deadline { get; set; }
    /// <summary>How many times it was re-sent after its worker was lost.</summary>
    public int Retries { get; set; }
    public LinkedListNode<PendingRequest>? QueueNode { get; set; }
}
