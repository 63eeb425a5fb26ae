namespace ZeroBridge.Majordomo;

/// <summary>A snapshot of a broker: its services and counters (also served as <c>mmi.services</c> and <c>mmi.broker</c>).</summary>
/// <param name="Services">Every service with a worker or a waiting request, by name.</param>
/// <param name="Counters">Totals since the broker started.</param>
public sealed record BrokerStatus(IReadOnlyList<ServiceStatus> Services, BrokerCounters Counters)
{
    /// <summary>The status of a broker that knows nothing yet.</summary>
    public static BrokerStatus Empty { get; } = new([], new BrokerCounters(0, 0, 0, 0, 0, 0));

    /// <summary>The service of that name, or null.</summary>
    public ServiceStatus? Service(string name) => Services.FirstOrDefault(s => s.Name == name);
}

/// <summary>One service as the broker sees it.</summary>
/// <param name="Name">The service name workers registered.</param>
/// <param name="Workers">Registered workers.</param>
/// <param name="Idle">Workers waiting for a request.</param>
/// <param name="Busy">Workers running a request.</param>
/// <param name="Queued">Requests waiting for a worker.</param>
public sealed record ServiceStatus(string Name, int Workers, int Idle, int Busy, int Queued);

/// <summary>Totals since the broker started.</summary>
/// <param name="Requests">Client requests accepted for a service (management requests excluded).</param>
/// <param name="Replies">Worker replies forwarded to clients.</param>
/// <param name="Unavailable">Requests answered <c>service_unavailable</c>.</param>
/// <param name="WorkersLost">Workers that died, left or misbehaved while registered.</param>
/// <param name="Retries">Requests re-sent to another worker after theirs was lost.</param>
/// <param name="RequestsLost">Requests answered <c>worker_lost</c>.</param>
public sealed record BrokerCounters(long Requests, long Replies, long Unavailable, long WorkersLost, long Retries, long RequestsLost);
