using System.Diagnostics.Metrics;
using ZeroBridge.Execution;
using ZeroBridge.Transport;

namespace ZeroBridge.Majordomo;

/// <summary>
/// The broker's metrics, read from each running broker's <see cref="ZeroBridgeBroker.Status"/> snapshot when a
/// listener collects: nothing is counted on the broker's message path for them.
/// </summary>
internal static class BrokerMetrics
{
    /// <summary>The brokers running now.</summary>
    public static RunningComponents<ZeroBridgeBroker> Running { get; } = new();

    private static readonly ObservableGauge<int> Services = ZeroBridgeDiagnostics.Meter.CreateObservableGauge(
        "zerobridge.broker.services", () => Running.Now.Select(b => new Measurement<int>(b.Status.Services.Count, Of(b))),
        "{service}", "Services a broker knows, by broker endpoint.");

    private static readonly ObservableGauge<int> Workers = ZeroBridgeDiagnostics.Meter.CreateObservableGauge(
        "zerobridge.broker.workers", () => PerService(s => s.Workers), "{worker}",
        "Workers registered with a broker, by service.");

    private static readonly ObservableGauge<int> BusyWorkers = ZeroBridgeDiagnostics.Meter.CreateObservableGauge(
        "zerobridge.broker.workers.busy", () => PerService(s => s.Busy), "{worker}",
        "Workers running a request, by service.");

    private static readonly ObservableGauge<int> WaitingRequests = ZeroBridgeDiagnostics.Meter.CreateObservableGauge(
        "zerobridge.broker.requests.waiting", () => PerService(s => s.Queued), "{request}",
        "Requests waiting for a worker, by service.");

    private static readonly ObservableCounter<long> Requests = ZeroBridgeDiagnostics.Meter.CreateObservableCounter(
        "zerobridge.broker.requests", () => Running.Now.Select(b => new Measurement<long>(b.Status.Counters.Requests, Of(b))),
        "{request}", "Requests a broker has received from clients, by broker endpoint.");

    private static readonly ObservableCounter<long> WorkersLost = ZeroBridgeDiagnostics.Meter.CreateObservableCounter(
        "zerobridge.broker.workers.lost", () => Running.Now.Select(b => new Measurement<long>(b.Status.Counters.WorkersLost, Of(b))),
        "{worker}", "Workers lost while running a request, by broker endpoint.");

    private static IEnumerable<Measurement<int>> PerService(Func<ServiceStatus, int> value) =>
        from broker in Running.Now
        from service in broker.Status.Services
        select new Measurement<int>(value(service), Of(broker), new KeyValuePair<string, object?>("zerobridge.service", service.Name));

    private static KeyValuePair<string, object?> Of(ZeroBridgeBroker broker) => new("zerobridge.endpoint", broker.Endpoint);
}
