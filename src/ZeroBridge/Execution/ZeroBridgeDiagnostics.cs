using System.Diagnostics;
using System.Diagnostics.Metrics;
using ZeroBridge.Transport;

namespace ZeroBridge.Execution;

/// <summary>
/// The names under which ZeroBridge reports traces and metrics through <c>System.Diagnostics</c>, for OpenTelemetry
/// (<c>.AddSource(ZeroBridgeDiagnostics.ActivitySourceName)</c>, <c>.AddMeter(ZeroBridgeDiagnostics.MeterName)</c>),
/// <c>dotnet-counters</c> or any <see cref="ActivityListener"/> / <see cref="MeterListener"/>.
/// </summary>
/// <remarks>
/// Every command run, on every route (direct server, JSON gateway, broker worker, task worker), is one activity of
/// kind Server named after the command, continuing the caller's W3C trace context when the request header carries
/// one (<c>traceparent</c>, docs/protocol.md §2): a call shows as one trace from a client, through a broker, to the
/// worker. Metrics: <c>zerobridge.commands</c> (count), <c>zerobridge.command.duration</c> (seconds) and
/// <c>zerobridge.commands.active</c>, tagged with the command, the route and the outcome (<c>ok</c> or the error code);
/// <c>zerobridge.commands.queued</c> (waiting for a slot), <c>zerobridge.request.size</c> and
/// <c>zerobridge.response.size</c> (bytes), <c>zerobridge.connections</c> and <c>zerobridge.connections.closed</c> (for breaking the
/// <see cref="Transport.ConnectionLimits"/>); and, read from the running components'
/// own statistics, the broker's services, workers and waiting requests, streams' messages and gaps, and tasks
/// (docs/hosting.md, "Metrics"). With no listener attached, each costs a check of a flag.
/// </remarks>
public static class ZeroBridgeDiagnostics
{
    /// <summary>The name of ZeroBridge's <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string ActivitySourceName = "ZeroBridge";

    /// <summary>The name of ZeroBridge's <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "ZeroBridge";

    internal static readonly ActivitySource Source = new(ActivitySourceName, typeof(ZeroBridgeDiagnostics).Assembly.GetName().Version?.ToString());

    /// <summary>The meter every ZeroBridge instrument is created on (the drivers' observable ones too).</summary>
    internal static readonly Meter Meter = new(MeterName, typeof(ZeroBridgeDiagnostics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Commands =
        Meter.CreateCounter<long>("zerobridge.commands", "{command}", "Commands run, by command, route and outcome.");

    internal static readonly Histogram<double> CommandDuration =
        Meter.CreateHistogram<double>("zerobridge.command.duration", "s", "How long commands took, by command, route and outcome.");

    internal static readonly UpDownCounter<long> ActiveCommands =
        Meter.CreateUpDownCounter<long>("zerobridge.commands.active", "{command}", "Commands running or waiting for a slot, by route.");

    internal static readonly UpDownCounter<long> QueuedCommands =
        Meter.CreateUpDownCounter<long>("zerobridge.commands.queued", "{command}",
            "Commands waiting for a concurrency slot (MaxConcurrency), by route: the queue in front of the commands.");

    internal static readonly Histogram<long> RequestSize =
        Meter.CreateHistogram<long>("zerobridge.request.size", "By", "Size of each request a command server received (all frames).");

    internal static readonly Histogram<long> ResponseSize =
        Meter.CreateHistogram<long>("zerobridge.response.size", "By", "Size of each reply a command server sent (all frames).");

    private static readonly ObservableUpDownCounter<int> Connections =
        Meter.CreateObservableUpDownCounter("zerobridge.connections", MeasureConnections, "{connection}",
            "Open connections of each component that binds (server, broker, publisher, task producer), by component and endpoint.");

    private static IEnumerable<Measurement<int>> MeasureConnections() =>
        ConnectionWatch.Running.Now.Select(log => new Measurement<int>(log.OpenCount,
            new KeyValuePair<string, object?>("zerobridge.component", log.Component),
            new KeyValuePair<string, object?>("zerobridge.endpoint", log.Endpoint)));

    private static readonly ObservableCounter<long> ClosedConnections =
        Meter.CreateObservableCounter("zerobridge.connections.closed", MeasureClosedConnections, "{connection}",
            "Connections a component closed for breaking its ConnectionLimits, by component, endpoint and reason (handshake_timeout, not_reading).");

    private static IEnumerable<Measurement<long>> MeasureClosedConnections() =>
        ConnectionWatch.Running.Now.SelectMany(log => new[]
        {
            ClosedBy(log, log.HandshakeTimeouts, "handshake_timeout"),
            ClosedBy(log, log.NotReadingClosures, "not_reading"),
        });

    private static Measurement<long> ClosedBy(ConnectionWatch log, long count, string reason) => new(count,
        new KeyValuePair<string, object?>("zerobridge.component", log.Component),
        new KeyValuePair<string, object?>("zerobridge.endpoint", log.Endpoint),
        new KeyValuePair<string, object?>("zerobridge.reason", reason));

    /// <summary>The tag value for a command that is not registered: callers choose those names, so they are not tags.</summary>
    internal const string UnknownCommand = "(unknown)";
}
