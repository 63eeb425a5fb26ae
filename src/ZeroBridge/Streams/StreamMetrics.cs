using System.Diagnostics.Metrics;
using ZeroBridge.Execution;
using ZeroBridge.Transport;

namespace ZeroBridge.Streams;

/// <summary>
/// Stream metrics, read from the running publishers' and subscribers' own counters when a listener collects, so the
/// publish and receive paths pay nothing for them.
/// </summary>
internal static class StreamMetrics
{
    /// <summary>The publishers running now.</summary>
    public static RunningComponents<ZeroBridgePublisher> Publishers { get; } = new();

    /// <summary>The subscribers running now.</summary>
    public static RunningComponents<ZeroBridgeSubscriber> Subscribers { get; } = new();

    private static readonly ObservableCounter<long> Published = ZeroBridgeDiagnostics.Meter.CreateObservableCounter(
        "zerobridge.stream.published", () => Publishers.Now.Select(p => new Measurement<long>(p.Published,
            new KeyValuePair<string, object?>("zerobridge.publisher", p.Name))),
        "{message}", "Values a publisher has published, by publisher name.");

    private static readonly ObservableCounter<long> Received = ZeroBridgeDiagnostics.Meter.CreateObservableCounter(
        "zerobridge.stream.received", () => PerSubscriber(s => s.Received), "{message}",
        "Values a subscriber has received, by publisher endpoint.");

    private static readonly ObservableCounter<long> Gaps = ZeroBridgeDiagnostics.Meter.CreateObservableCounter(
        "zerobridge.stream.gaps", () => PerSubscriber(s => s.Gaps), "{gap}",
        "Gaps a subscriber found in a topic's sequence numbers, by publisher endpoint.");

    private static readonly ObservableCounter<long> Missed = ZeroBridgeDiagnostics.Meter.CreateObservableCounter(
        "zerobridge.stream.missed", () => PerSubscriber(s => s.Missed), "{message}",
        "Values a subscriber missed (the sizes of those gaps), by publisher endpoint.");

    private static IEnumerable<Measurement<long>> PerSubscriber(Func<StreamStatistics, long> value) =>
        Subscribers.Now.Select(s => new Measurement<long>(value(s.Statistics),
            new KeyValuePair<string, object?>("zerobridge.endpoint", s.Endpoint)));
}
