using System.Diagnostics.Metrics;
using ZeroBridge.Execution;
using ZeroBridge.Transport;

namespace ZeroBridge.Tasks;

/// <summary>
/// Task-pool metrics, read from the running producers' statistics and workers' status when a listener collects, so
/// the task paths pay nothing for them. (Each task a worker runs is also a command: <c>zerobridge.commands</c> with
/// route <c>task</c>.)
/// </summary>
internal static class TaskMetrics
{
    /// <summary>The producers running now.</summary>
    public static RunningComponents<ZeroBridgeTaskProducer> Producers { get; } = new();

    /// <summary>The task workers running now.</summary>
    public static RunningComponents<ZeroBridgeTaskWorker> Workers { get; } = new();

    private static readonly ObservableCounter<long> Submitted = ZeroBridgeDiagnostics.Meter.CreateObservableCounter(
        "zerobridge.tasks.submitted", () => PerProducer(s => s.Submitted), "{task}", "Tasks submitted to a producer, by producer endpoint.");

    private static readonly ObservableCounter<long> Completed = ZeroBridgeDiagnostics.Meter.CreateObservableCounter(
        "zerobridge.tasks.completed", () => PerProducer(s => s.Completed, "ok").Concat(PerProducer(s => s.Failed, "failed")),
        "{task}", "Tasks finished, by producer endpoint and outcome (ok, failed).");

    private static readonly ObservableCounter<long> Resent = ZeroBridgeDiagnostics.Meter.CreateObservableCounter(
        "zerobridge.tasks.resent", () => PerProducer(s => s.Resent), "{task}",
        "Tasks sent again because their worker was lost or too slow, by producer endpoint.");

    private static readonly ObservableGauge<int> Running = ZeroBridgeDiagnostics.Meter.CreateObservableGauge(
        "zerobridge.tasks.running", () => Workers.Now.Select(w => new Measurement<int>(w.Status.Running,
            new KeyValuePair<string, object?>("zerobridge.worker", w.Name))),
        "{task}", "Tasks a task worker is running now, by worker name.");

    private static IEnumerable<Measurement<long>> PerProducer(Func<TaskProducerStatistics, long> value, string? outcome = null) =>
        Producers.Now.Select(p => outcome is null
            ? new Measurement<long>(value(p.Statistics), new KeyValuePair<string, object?>("zerobridge.endpoint", p.Endpoint))
            : new Measurement<long>(value(p.Statistics), new KeyValuePair<string, object?>("zerobridge.endpoint", p.Endpoint),
                new KeyValuePair<string, object?>("zerobridge.outcome", outcome)));
}
