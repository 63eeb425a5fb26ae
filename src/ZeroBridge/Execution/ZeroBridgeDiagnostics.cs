using System.Diagnostics;
using System.Diagnostics.Metrics;

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
/// <c>zerobridge.commands.active</c>, tagged with the command, the route and the outcome (<c>ok</c> or the error code).
/// With no listener attached, each costs a check of a flag.
/// </remarks>
public static class ZeroBridgeDiagnostics
{
    /// <summary>The name of ZeroBridge's <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string ActivitySourceName = "ZeroBridge";

    /// <summary>The name of ZeroBridge's <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "ZeroBridge";

    internal static readonly ActivitySource Source = new(ActivitySourceName, typeof(ZeroBridgeDiagnostics).Assembly.GetName().Version?.ToString());

    private static readonly Meter Meter = new(MeterName, typeof(ZeroBridgeDiagnostics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Commands =
        Meter.CreateCounter<long>("zerobridge.commands", "{command}", "Commands run, by command, route and outcome.");

    internal static readonly Histogram<double> CommandDuration =
        Meter.CreateHistogram<double>("zerobridge.command.duration", "s", "How long commands took, by command, route and outcome.");

    internal static readonly UpDownCounter<long> ActiveCommands =
        Meter.CreateUpDownCounter<long>("zerobridge.commands.active", "{command}", "Commands running or waiting for a slot, by route.");

    /// <summary>The tag value for a command that is not registered: callers choose those names, so they are not tags.</summary>
    internal const string UnknownCommand = "(unknown)";
}
