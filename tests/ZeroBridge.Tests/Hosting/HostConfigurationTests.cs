using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Demo;
using ZeroBridge.Hosting;
using ZeroBridge.Majordomo;
using ZeroBridge.Security;
using ZeroBridge.Server;
using ZeroBridge.Transport;
using ZeroBridge.Streams;
using ZeroBridge.Tasks;

namespace ZeroBridge.Tests.Hosting;

/// <summary>The ASP.NET way through a real Generic Host: configuration, named components, typed clients, filters, health.</summary>
public class HostConfigurationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static HostApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    [Fact]
    public async Task Two_named_servers_bind_from_configuration_a_typed_client_calls_one_and_health_follows_them()
    {
        var builder = Builder(new()
        {
            ["ZeroBridge:Server:Endpoint"] = "tcp://127.0.0.1:*",
            ["ZeroBridge:Server:MaxConcurrency"] = "3",
            ["ZeroBridge:Server:ConnectionLimits:HandshakeTimeout"] = "00:00:05",
            ["ZeroBridge:Servers:admin:Endpoint"] = "tcp://127.0.0.1:*",
        });
        builder.Services.AddZeroBridge(commands => commands.Add("who", () => "public"));
        builder.Services.AddZeroBridge("admin", (_, commands) => commands.Add("who", () => "admin"));
        builder.Services.AddHealthChecks().AddZeroBridgeServer().AddZeroBridgeServer("admin");
        using var host = builder.Build();
        await host.StartAsync();
        var main = host.Services.GetRequiredService<ZeroBridgeServer>();
        var admin = host.Services.GetRequiredKeyedService<ZeroBridgeServer>("admin");
        var health = host.Services.GetRequiredService<HealthCheckService>();
        try
        {
            Assert.NotEqual(main.Endpoint, admin.Endpoint);
            var bound = host.Services.GetRequiredService<IOptionsMonitor<ZeroBridgeServerOptions>>();
            Assert.Equal(3, bound.Get("").MaxConcurrency);
            Assert.Equal(TimeSpan.FromSeconds(5), bound.Get("").ConnectionLimits.HandshakeTimeout);
            Assert.Equal(ConnectionLimits.Default.ReadGracePeriod, bound.Get("").ConnectionLimits.ReadGracePeriod);
            Assert.Equal(ConnectionLimits.Default, bound.Get("admin").ConnectionLimits); // each server its own limits
            Assert.Equal(TimeSpan.FromSeconds(30), ConnectionLimits.Default.HandshakeTimeout); // binding never touched the default
            Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

            // A second host calls the admin server through a typed client bound from its own configuration.
            var callerBuilder = Builder(new() { ["ZeroBridge:Clients:AdminCaller:Endpoint"] = admin.Endpoint,
                                                ["ZeroBridge:Clients:AdminCaller:Timeout"] = "00:00:10" });
            callerBuilder.Services.AddZeroBridgeClient<AdminCaller>();
            using var caller = callerBuilder.Build();
            await caller.StartAsync();
            Assert.Equal("admin", await caller.Services.GetRequiredService<AdminCaller>().WhoAsync());
            await caller.StopAsync();

            using var direct = new ZeroBridgeClient(main.Endpoint);
            Assert.Equal("public", await direct.CallAsync<string>("who", timeout: Timeout));
        }
        finally
        {
            await host.StopAsync();
        }
        var after = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, after.Status);
        Assert.Equal(HealthStatus.Unhealthy, after.Entries["zerobridge-server-admin"].Status);
    }

    [Fact]
    public async Task A_bad_setting_stops_the_start_with_one_line_naming_each_key()
    {
        var builder = Builder(new()
        {
            ["ZeroBridge:Server:Endpoint"] = "127.0.0.1:5555",
            ["ZeroBridge:Server:MaxConcurrency"] = "0",
            ["ZeroBridge:Server:ConnectionLimits:MinimumReadBytesPerSecond"] = "-1",
            ["ZeroBridge:Server:CertificateFile"] = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.key_secret"),
        });
        builder.Services.AddZeroBridge(commands => commands.Add("ping2", () => 1));
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("ZeroBridge:Server:Endpoint is \"127.0.0.1:5555\", not a ZeroMQ endpoint", error.Message);
        Assert.Contains("ZeroBridge:Server:MaxConcurrency must be at least 1 (it is 0)", error.Message);
        Assert.Contains("ZeroBridge:Server:ConnectionLimits:MinimumReadBytesPerSecond must be 0 (off) or a positive number", error.Message);
        Assert.Contains("ZeroBridge:Server:CertificateFile is ", error.Message);
    }

    [Fact]
    public void A_second_server_of_the_same_name_is_refused_instead_of_ignored()
    {
        var services = new ServiceCollection();
        services.AddZeroBridge(commands => commands.Add("a", () => 1));
        services.AddZeroBridge("admin", (_, commands) => commands.Add("a", () => 1));
        var twice = Assert.Throws<InvalidOperationException>(() => services.AddZeroBridge(commands => commands.Add("b", () => 2)));
        Assert.Contains("give the other one a name", twice.Message);
        Assert.Throws<InvalidOperationException>(() => services.AddZeroBridge("admin", (_, commands) => commands.Add("b", () => 2)));
    }

    [Fact]
    public async Task Filters_from_the_registry_and_the_container_run_around_every_command_in_order()
    {
        var builder = Builder(new() { ["ZeroBridge:Server:Endpoint"] = "tcp://127.0.0.1:*" });
        var trail = new ConcurrentQueue<string>();
        builder.Services.AddSingleton(trail);
        builder.Services.AddZeroBridgeFilter<Gatekeeper>();
        builder.Services.AddZeroBridge(commands => commands
            .Add("add", (int a, int b) => a + b)
            .Add("secret", () => "never")
            .AddFilter(new Recorder(trail)));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            using var client = new ZeroBridgeClient(host.Services.GetRequiredService<ZeroBridgeServer>().Endpoint);
            Assert.Equal(300, await client.CallAsync<int>("add", new { a = 1, b = 2 }, Timeout)); // the gatekeeper scales a
            var denied = await Assert.ThrowsAnyAsync<ZeroBridgeRemoteException>(() => client.CallAsync("secret", timeout: Timeout));
            Assert.Equal("permission_denied", denied.Code);
            Assert.Equal(["recorder add", "gatekeeper add", "recorder secret", "gatekeeper secret"], trail);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Broker_worker_task_worker_and_publisher_start_and_stop_with_their_hosts()
    {
        var brokerBuilder = Builder(new() { ["ZeroBridge:Broker:Endpoint"] = "tcp://127.0.0.1:*" });
        brokerBuilder.Services.AddZeroBridgeBroker(o => o with { HeartbeatInterval = TimeSpan.FromMilliseconds(200) });
        brokerBuilder.Services.AddHealthChecks().AddZeroBridgeBroker(["erp"]);
        using var brokerHost = brokerBuilder.Build();
        await brokerHost.StartAsync();
        await using var producer = new ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions.Default with { Endpoint = "tcp://127.0.0.1:*" });
        await producer.StartAsync();
        try
        {
            var broker = brokerHost.Services.GetRequiredService<ZeroBridgeBroker>();
            var health = brokerHost.Services.GetRequiredService<HealthCheckService>();
            Assert.Equal(HealthStatus.Degraded, (await health.CheckHealthAsync()).Status); // no worker for erp yet

            var appBuilder = Builder(new()
            {
                ["ZeroBridge:Workers:erp:BrokerEndpoint"] = broker.Endpoint,
                ["ZeroBridge:Workers:erp:HeartbeatInterval"] = "00:00:00.200",
                ["ZeroBridge:TaskWorker:Endpoint"] = producer.Endpoint,
                ["ZeroBridge:TaskWorker:Concurrency"] = "2",
                ["ZeroBridge:Publisher:Endpoint"] = "tcp://127.0.0.1:*",
            });
            appBuilder.Services.AddZeroBridgeWorker("erp", (_, commands) => commands.Add("add", (int a, int b) => a + b));
            appBuilder.Services.AddZeroBridgeTaskWorker((_, commands) => commands.AddDemoTasks());
            appBuilder.Services.AddZeroBridgePublisher();
            using (var app = appBuilder.Build())
            {
                await app.StartAsync();
                using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
                    while ((await health.CheckHealthAsync(deadline.Token)).Status != HealthStatus.Healthy)
                        await Task.Delay(20, deadline.Token);
                using var client = new ZeroBridgeClient(broker.Endpoint, ZeroBridgeClientOptions.Default with { Service = "erp" });
                Assert.Equal(5, await client.CallAsync<int>("add", new { a = 2, b = 3 }, Timeout));
                Assert.Equal([1L, 4L, 9L], (await producer.MapAsync("square", new[] { 1, 2, 3 })).Select(System.Convert.ToInt64));
                Assert.StartsWith("tcp://127.0.0.1:", app.Services.GetRequiredService<ZeroBridgePublisher>().Endpoint);
                await app.StopAsync();
            }
            // The worker left with the host, and the broker's health says so again.
            using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
                while ((await health.CheckHealthAsync(deadline.Token)).Status != HealthStatus.Degraded)
                    await Task.Delay(20, deadline.Token);
        }
        finally
        {
            await brokerHost.StopAsync();
        }
    }

    [Fact]
    public async Task Worker_health_follows_its_broker_connection()
    {
        var brokerBuilder = Builder(new() { ["ZeroBridge:Broker:Endpoint"] = "tcp://127.0.0.1:*" });
        brokerBuilder.Services.AddZeroBridgeBroker(o => o with { HeartbeatInterval = TimeSpan.FromMilliseconds(100) });
        var brokerHost = brokerBuilder.Build();
        await brokerHost.StartAsync();
        string endpoint = brokerHost.Services.GetRequiredService<ZeroBridgeBroker>().Endpoint;

        var appBuilder = Builder(new()
        {
            ["ZeroBridge:Workers:erp:BrokerEndpoint"] = endpoint,
            ["ZeroBridge:Workers:erp:HeartbeatInterval"] = "00:00:00.100",
            ["ZeroBridge:Workers:erp:Concurrency"] = "2",
        });
        appBuilder.Services.AddZeroBridgeWorker("erp", (_, commands) => commands.Add("add", (int a, int b) => a + b));
        appBuilder.Services.AddHealthChecks().AddZeroBridgeWorker("erp");
        using var app = appBuilder.Build();
        var health = app.Services.GetRequiredService<HealthCheckService>();
        try
        {
            var before = (await health.CheckHealthAsync()).Entries["zerobridge-worker-erp"];
            Assert.Equal(HealthStatus.Unhealthy, before.Status);
            Assert.Contains("not running", before.Description);

            await app.StartAsync();
            var healthy = await WaitForHealth(health, HealthStatus.Healthy);
            Assert.Equal(2, healthy.Data["connected"]);
            Assert.Equal(endpoint, healthy.Data["broker"]);

            await brokerHost.StopAsync(); // the broker goes away: its heartbeats stop
            brokerHost.Dispose();
            var lost = await WaitForHealth(health, HealthStatus.Unhealthy);
            Assert.Contains($"Not connected to the broker at {endpoint}", lost.Description);
            Assert.Equal(0, lost.Data["connected"]);
        }
        finally
        {
            await app.StopAsync();
            brokerHost.Dispose();
        }
        Assert.Contains("not running", (await health.CheckHealthAsync()).Entries["zerobridge-worker-erp"].Description);
    }

    [Fact]
    public async Task Task_worker_health_follows_its_producer_and_its_refusal()
    {
        var heartbeat = TimeSpan.FromMilliseconds(100);
        var producerKeys = ZeroBridgeCertificate.Generate();
        string allowed = Directory.CreateTempSubdirectory("zerobridge-health-allow-").FullName;
        var producer = new ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            HeartbeatInterval = heartbeat,
        });
        await producer.StartAsync();
        // A second producer on CURVE with an empty allow-list: it refuses a worker without a certificate.
        await using var strict = new ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            HeartbeatInterval = heartbeat,
            Certificate = producerKeys,
            AllowList = AllowList.FromDirectory(allowed),
        });
        await strict.StartAsync();

        var appBuilder = Builder(new()
        {
            ["ZeroBridge:TaskWorker:Endpoint"] = producer.Endpoint,
            ["ZeroBridge:TaskWorker:HeartbeatInterval"] = "00:00:00.100",
            ["ZeroBridge:TaskWorkers:locked:Endpoint"] = strict.Endpoint,
            ["ZeroBridge:TaskWorkers:locked:HeartbeatInterval"] = "00:00:00.100",
        });
        appBuilder.Services.AddZeroBridgeTaskWorker((_, commands) => commands.AddDemoTasks());
        appBuilder.Services.AddZeroBridgeTaskWorker((_, commands) => commands.AddDemoTasks(),
            o => o with { ServerKey = producerKeys.PublicKey }, name: "locked");
        appBuilder.Services.AddHealthChecks().AddZeroBridgeTaskWorker().AddZeroBridgeTaskWorker("locked");
        using var app = appBuilder.Build();
        var health = app.Services.GetRequiredService<HealthCheckService>();
        try
        {
            var before = (await health.CheckHealthAsync()).Entries["zerobridge-task-worker"];
            Assert.Equal(HealthStatus.Unhealthy, before.Status);
            Assert.Contains("not running", before.Description);

            await app.StartAsync();
            // Idle, no task: the producer's heartbeats alone keep it healthy.
            var healthy = await WaitForHealth(health, HealthStatus.Healthy, "zerobridge-task-worker");
            Assert.Equal(producer.Endpoint, healthy.Data["producer"]);
            var refused = await WaitForHealth(health, HealthStatus.Unhealthy, "zerobridge-task-worker-locked");
            Assert.Contains("no certificate", refused.Description);

            await producer.StopAsync(); // the producer goes away: its heartbeats stop
            var lost = await WaitForHealth(health, HealthStatus.Unhealthy, "zerobridge-task-worker");
            Assert.Contains($"The producer at {producer.Endpoint} went silent", lost.Description);
        }
        finally
        {
            await app.StopAsync();
            await producer.DisposeAsync();
            Directory.Delete(allowed, recursive: true);
        }
    }

    /// <summary>Checks until the entry <paramref name="name"/> has <paramref name="wanted"/> (bounded: fails after 20 s).</summary>
    private static async Task<HealthReportEntry> WaitForHealth(HealthCheckService health, HealthStatus wanted,
        string name = "zerobridge-worker-erp")
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var entry = (await health.CheckHealthAsync(deadline.Token)).Entries[name];
            if (entry.Status == wanted)
                return entry;
            await Task.Delay(20, deadline.Token); // the polling interval of a bounded wait for a state change
        }
    }

    private sealed class AdminCaller(ZeroBridgeClient bridge)
    {
        public Task<string?> WhoAsync() => bridge.CallAsync<string>("who");
    }

    private sealed class Recorder(ConcurrentQueue<string> trail) : ICommandFilter
    {
        public ValueTask<object?> InvokeAsync(CommandFilterContext context, CommandFilterDelegate next)
        {
            trail.Enqueue($"recorder {context.Command.Name}");
            return next(context);
        }
    }

    /// <summary>A container filter: scoped, with a dependency; refuses one command and changes another's argument.</summary>
    private sealed class Gatekeeper(ConcurrentQueue<string> trail) : ICommandFilter
    {
        public ValueTask<object?> InvokeAsync(CommandFilterContext context, CommandFilterDelegate next)
        {
            trail.Enqueue($"gatekeeper {context.Command.Name}");
            if (context.Command.Name == "secret")
                throw new PermissionDeniedException($"{context.Context.Peer} may not run secret.");
            if (context.Command.Name == "add")
            {
                context.Arguments[0] = (int)context.Arguments[0]! * 100;
                context.Arguments[1] = (int)context.Arguments[1]! * 100;
            }
            return next(context);
        }
    }
}
