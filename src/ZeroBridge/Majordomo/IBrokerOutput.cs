using static ZeroBridge.Protocol.Majordomo;

namespace ZeroBridge.Majordomo;

/// <summary>
/// What <see cref="BrokerBookkeeping"/> asks its driver to send. The broker's socket implements it; unit tests record
/// the calls instead.
/// </summary>
internal interface IBrokerOutput
{
    /// <summary>Hands <paramref name="request"/> to <paramref name="worker"/> (an MDP REQUEST); false when the worker cannot be reached.</summary>
    bool SendRequest(BrokerWorker worker, PendingRequest request);

    /// <summary>Answers <paramref name="request"/> with an error from the broker itself (docs/protocol.md §9.5).</summary>
    void Fail(PendingRequest request, string code, string status, string message, IReadOnlyDictionary<string, object?>? details = null);

    /// <summary>Sends a worker a command without a body (HEARTBEAT, DISCONNECT).</summary>
    void SendToWorker(byte[] identity, Command command);
}
