using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using ZeroBridge.Majordomo;
using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Demo;
using ZeroBridge.Execution;
using ZeroBridge.Streams;
using ZeroBridge.Tasks;
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

    [Fact]
    public async Task The_broker_streams_tasks_connections_and_message_sizes_are_measured()
    {
        var metrics = new List<Metric>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(ZeroBridgeDiagnostics.MeterName)
            .AddInMemoryExporter(metrics).Build();

        // A broker with one worker and one call through it.
        await using var broker = new ZeroBridgeBroker(ZeroBridgeBrokerOptions.Default with { Endpoint = "tcp://127.0.0.1:*" });
        await broker.StartAsync();
        await using var worker = new CommandRegistry().Add("measured.echo", (int x) => x).JoinBroker(broker.Endpoint, "erp");
        using (var client = new ZeroBridgeClient(broker.Endpoint, ZeroBridgeClientOptions.Default with { Service = "erp", Timeout = Wait }))
            Assert.Equal(7, await client.CallAsync<int>("measured.echo", new { x = 7 }));
        // The broker's status is a snapshot its timer refreshes: the gauges read it, so wait for it to show the call.
        Assert.True(await broker.WaitForStatusAsync(status => status.Counters.Requests >= 1, Wait));

        // A stream: five values, published once the subscriber's start has seen its subscriptions in place.
        await using var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with { Endpoint = "tcp://127.0.0.1:*", Name = "measured" });
        await publisher.StartAsync();
        await using var subscriber = new ZeroBridgeSubscriber(publisher.Endpoint, ["m."]); // waits for the publisher's welcome
        await subscriber.StartAsync();
        for (int i = 0; i < 5; i++)
            publisher.Publish("m.x", i);
        for (int i = 0; i < 5; i++)
            Assert.NotNull(await subscriber.ReadAsync(Wait));

        // Three tasks, one of which fails.
        await using var producer = new ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions.Default with { Endpoint = "tcp://127.0.0.1:*" });
        await producer.StartAsync();
        await using var taskWorker = new ZeroBridgeTaskWorker(new CommandRegistry().AddDemoTasks(), producer.Endpoint,
            ZeroBridgeTaskWorkerOptions.Default with { Name = "measured-worker" });
        await taskWorker.StartAsync();
        await producer.WaitForWorkersAsync(1, Wait);
        var results = new List<TaskResult>();
        await foreach (var result in producer.RunAsync("square", new object[] { 2, 3, "four" }, TaskRunOptions.Default with { Timeout = Wait }))
            results.Add(result);

        // And a direct server with a client: request and reply sizes.
        await using (var running = new RunningServer(new CommandRegistry().Add("measured.ok", () => 1),
                         clientOptions: ZeroBridgeClientOptions.Default with { Timeout = Wait }))
            await running.Client.CallAsync("measured.ok");

        meters.ForceFlush();
        string brokerAt = broker.Endpoint, producerAt = producer.Endpoint;
        Assert.Equal(1, Last(metrics, "zerobridge.broker.workers", ("zerobridge.service", "erp"), ("zerobridge.endpoint", brokerAt)));
        Assert.Equal(1, Last(metrics, "zerobridge.broker.services", ("zerobridge.endpoint", brokerAt)));
        Assert.Equal(0, Last(metrics, "zerobridge.broker.requests.waiting", ("zerobridge.service", "erp")));
        Assert.True(Last(metrics, "zerobridge.broker.requests", ("zerobridge.endpoint", brokerAt)) >= 1);
        Assert.True(Last(metrics, "zerobridge.connections", ("zerobridge.component", "Broker"), ("zerobridge.endpoint", brokerAt)) >= 1);
        Assert.True(Last(metrics, "zerobridge.stream.published", ("zerobridge.publisher", "measured")) >= 5);
        Assert.True(Last(metrics, "zerobridge.stream.received", ("zerobridge.endpoint", publisher.Endpoint)) >= 5);
        Assert.Equal(0, Last(metrics, "zerobridge.stream.gaps", ("zerobridge.endpoint", publisher.Endpoint)));
        Assert.Equal(3, Last(metrics, "zerobridge.tasks.submitted", ("zerobridge.endpoint", producerAt)));
        Assert.Equal(2, Last(metrics, "zerobridge.tasks.completed", ("zerobridge.endpoint", producerAt), ("zerobridge.outcome", "ok")));
        Assert.Equal(1, Last(metrics, "zerobridge.tasks.completed", ("zerobridge.endpoint", producerAt), ("zerobridge.outcome", "failed")));
        Assert.Equal(0, Last(metrics, "zerobridge.tasks.running", ("zerobridge.worker", "measured-worker")));
        Assert.Contains(metrics, m => m.Name == "zerobridge.request.size" && Count(m) >= 1);
        Assert.Contains(metrics, m => m.Name == "zerobridge.response.size" && Count(m) >= 1);
    }

    /// <summary>The value of the point of <paramref name="name"/> that carries all <paramref name="tags"/>, in the last export.</summary>
    private static long Last(List<Metric> metrics, string name, params (string Key, string Value)[] tags)
    {
        long? value = null;
        foreach (var metric in metrics.Where(m => m.Name == name))
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var pointTags = new Dictionary<string, object?>();
                foreach (var tag in point.Tags)
                    pointTags[tag.Key] = tag.Value;
                if (tags.All(t => Equals(pointTags.GetValueOrDefault(t.Key), t.Value)))
                    value = metric.MetricType is MetricType.LongSum or MetricType.LongSumNonMonotonic ? point.GetSumLong()
                        : metric.MetricType == MetricType.LongGauge ? point.GetGaugeLastValueLong()
                        : throw new InvalidOperationException($"{name} is a {metric.MetricType}");
            }
        return value ?? throw new Xunit.Sdk.XunitException($"no point of {name} with {string.Join(", ", tags)}; exported: " +
            string.Join(", ", metrics.Select(m => m.Name).Distinct()));
    }

    private static long Count(Metric histogram)
    {
        long count = 0;
        foreach (ref readonly var point in histogram.GetMetricPoints())
            count += point.GetHistogramCount();
        return count;
    }
}
