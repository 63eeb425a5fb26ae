using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using ZeroBridge.Majordomo;
using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Execution;
using ZeroBridge.Tests.Fixtures;

namespace ZeroBridge.Tests.Diagnostics;

/// <summary>Traces and metrics as an OpenTelemetry application sees them (OpenTelemetry's in-memory exporter).</summary>
/// <remarks>Not parallel with other tests: the exporters see every ZeroBridge activity in the process.</remarks>
[Collection(nameof(TelemetryTests))]
[CollectionDefinition(nameof(TelemetryTests), DisableParallelization = true)]
public class TelemetryTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_call_through_the_broker_is_one_trace_from_the_client_to_the_worker()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(ZeroBridgeDiagnostics.ActivitySourceName)
            .AddInMemoryExporter(spans).Build();
        await using var broker = new ZeroBridgeBroker(ZeroBridgeBrokerOptions.Default with { Endpoint = "tcp://127.0.0.1:*" });
        await broker.StartAsync();
        var commands = new CommandRegistry().Add("traced.add", (int a, int b) => a + b);
        await using var worker = commands.JoinBroker(broker.Endpoint, "erp");
        using var client = new ZeroBridgeClient(broker.Endpoint, ZeroBridgeClientOptions.Default with { Service = "erp", Timeout = Wait });

        Assert.Equal(5, await client.CallAsync<int>("traced.add", new { a = 2, b = 3 }));
        tracing.ForceFlush();

        var call = Assert.Single(spans, s => s.DisplayName == "traced.add" && s.Kind == ActivityKind.Client);
        var served = Assert.Single(spans, s => s.DisplayName == "traced.add" && s.Kind == ActivityKind.Server);
        Assert.Equal(call.TraceId, served.TraceId);
        Assert.Equal(call.SpanId, served.ParentSpanId);
        Assert.Equal("zerobridge", served.GetTagItem("rpc.system"));
    }

    [Fact]
    public async Task Commands_are_counted_and_timed_by_command_and_outcome_and_failures_mark_their_span()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(ZeroBridgeDiagnostics.ActivitySourceName)
            .AddInMemoryExporter(spans).Build();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(ZeroBridgeDiagnostics.MeterName)
            .AddInMemoryExporter(metrics).Build();
        var commands = new CommandRegistry()
            .Add("metered.ok", () => 1)
            .Add("metered.fail", int () => throw new NotFoundException("no such thing"));
        await using var running = new RunningServer(commands, clientOptions: ZeroBridgeClientOptions.Default with { Timeout = Wait });
        var client = running.Client;
        await client.CallAsync("metered.ok");
        await client.CallAsync("metered.ok");
        await Assert.ThrowsAnyAsync<ZeroBridgeRemoteException>(() => client.CallAsync("metered.fail"));
        await Assert.ThrowsAnyAsync<ZeroBridgeRemoteException>(() => client.CallAsync("no.such.command.xyz"));
        meters.ForceFlush();
        tracing.ForceFlush();

        var counts = new Dictionary<(string?, string?), long>();
        foreach (var metric in metrics.Where(m => m.Name == "zerobridge.commands"))
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                string? command = null, outcome = null;
                foreach (var tag in point.Tags)
                {
                    if (tag.Key == "zerobridge.command") command = (string?)tag.Value;
                    if (tag.Key == "zerobridge.outcome") outcome = (string?)tag.Value;
                }
                counts[(command, outcome)] = point.GetSumLong();
            }
        Assert.Equal(2, counts[("metered.ok", "ok")]);
        Assert.Equal(1, counts[("metered.fail", "not_found")]);
        // A name the caller made up is not a tag of its own: scans cannot grow the number of series.
        Assert.Equal(1, counts[(ZeroBridgeDiagnostics.UnknownCommand, "unknown_command")]);
        Assert.Contains(metrics, m => m.Name == "zerobridge.command.duration");

        var failed = Assert.Single(spans, s => s.DisplayName == "metered.fail" && s.Kind == ActivityKind.Server);
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal("not_found", failed.GetTagItem("zerobridge.error_code"));
    }
}
