using ZeroBridge.Majordomo;
using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Protocol;

namespace ZeroBridge.Tests.Majordomo;

/// <summary>The broker, workers and clients in one process, over real loopback sockets.</summary>
public class BrokerTests
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromMilliseconds(200);

    private static ZeroBridgeBrokerOptions BrokerOptions(string endpoint = "tcp://127.0.0.1:*") => ZeroBridgeBrokerOptions.Default with
    {
        Endpoint = endpoint, HeartbeatInterval = Heartbeat, HeartbeatLiveness = 5, RequestTimeout = TimeSpan.FromSeconds(1),
    };

    private static ZeroBridgeWorkerOptions WorkerOptions => ZeroBridgeWorkerOptions.Default with
    {
        HeartbeatInterval = Heartbeat, HeartbeatLiveness = 5, ShutdownTimeout = TimeSpan.FromSeconds(1),
    };

    private static ZeroBridgeClient Client(string endpoint, string service, int retries = 0, double seconds = 10) =>
        new(endpoint, ZeroBridgeClientOptions.Default with { Service = service, Retries = retries, Timeout = TimeSpan.FromSeconds(seconds) });

    private static async Task WaitForWorkers(ZeroBridgeBroker broker, string service, int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while ((broker.Status.Service(service)?.Workers ?? 0) != count)
            await Task.Delay(20, deadline.Token);
    }

    [Fact]
    public async Task A_registry_joined_to_a_broker_serves_its_commands_under_each_service_it_offers()
    {
        await using var broker = new ZeroBridgeBroker(BrokerOptions());
        await broker.StartAsync();
        var commands = new CommandRegistry().Add("add", (int a, int b = 10) => a + b);
        await using var erp = commands.JoinBroker(broker.Endpoint, "erp", WorkerOptions);
        await using var reports = commands.JoinBroker(broker.Endpoint, "reports", WorkerOptions with { Concurrency = 2 });
        await WaitForWorkers(broker, "erp", 1);
        await WaitForWorkers(broker, "reports", 2);

        using var viaErp = Client(broker.Endpoint, "erp");
        using var viaReports = Client(broker.Endpoint, "reports");
        Assert.Equal(3, await viaErp.CallAsync<int>("add", new { a = 1, b = 2 }));
        Assert.Equal(11, await viaReports.CallAsync<int>("add", new { a = 1 }));
        var unknown = await Assert.ThrowsAsync<RemoteCommandNotFoundException>(() => viaErp.CallAsync("ad"));
        Assert.Equal(ErrorCodes.UnknownCommand, unknown.Code);
        Assert.True(await viaErp.PingAsync());
    }

    [Fact]
    public async Task A_worker_runs_a_non_blocking_command_on_its_socket_thread_and_others_on_the_pool()
    {
        await using var broker = new ZeroBridgeBroker(BrokerOptions());
        await broker.StartAsync();
        static string Here() => Thread.CurrentThread.IsThreadPoolThread ? "pool" : Thread.CurrentThread.Name ?? "unnamed";
        var commands = new CommandRegistry()
            .Add("inline.where", [NonBlocking] () => Here())
            .Add("pooled.where", () => Here());
        await using var worker = commands.JoinBroker(broker.Endpoint, "where", WorkerOptions);
        await WaitForWorkers(broker, "where", 1);

        using var client = Client(broker.Endpoint, "where");
        Assert.Equal($"ZeroBridge worker where@{broker.Endpoint}", await client.CallAsync<string>("inline.where"));
        Assert.Equal("pool", await client.CallAsync<string>("pooled.where"));
    }

    [Fact]
    public async Task A_worker_busy_longer_than_the_expiry_keeps_heartbeating_and_is_not_declared_dead()
    {
        // A generous liveness (2 s): the point is that heartbeats flow during the work, and a loaded CI machine can
        // pause a process for a good part of a second.
        var options = BrokerOptions() with { HeartbeatLiveness = 8, HeartbeatInterval = TimeSpan.FromMilliseconds(250) };
        await using var broker = new ZeroBridgeBroker(options);
        await broker.StartAsync();
        var expiry = options.WorkerExpiry;
        var commands = new CommandRegistry().Add("nap", async (CancellationToken token) =>
        {
            await Task.Delay(expiry * 2, token);
            return "rested";
        });
        await using var worker = commands.JoinBroker(broker.Endpoint, "slow",
            WorkerOptions with { HeartbeatLiveness = 8, HeartbeatInterval = TimeSpan.FromMilliseconds(250) });
        await WaitForWorkers(broker, "slow", 1);
        using var client = Client(broker.Endpoint, "slow");
        Assert.Equal("rested", await client.CallAsync<string>("nap"));
        Assert.Equal(0, broker.Status.Counters.WorkersLost);
        Assert.Equal(1, worker.Registrations);
    }

    [Fact]
    public async Task A_service_without_workers_answers_service_unavailable_after_bounded_retries()
    {
        await using var broker = new ZeroBridgeBroker(BrokerOptions());
        await broker.StartAsync();
        using var client = Client(broker.Endpoint, "ghost", retries: 2);
        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => client.CallAsync("anything"));
        Assert.Equal(BrokerErrorCodes.ServiceUnavailable, error.Code);
        Assert.Contains("'ghost'", error.Message);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (broker.Status.Counters.Unavailable < 3)
            await Task.Delay(20, deadline.Token); // three attempts: the first and two retries
    }

    [Fact]
    public async Task Workers_re_register_and_clients_retry_across_a_broker_restart()
    {
        var first = new ZeroBridgeBroker(BrokerOptions());
        await first.StartAsync();
        string endpoint = first.Endpoint;
        var commands = new CommandRegistry().Add("whoami", [Idempotent] () => "worker");
        await using var worker = commands.JoinBroker(endpoint, "phoenix", WorkerOptions);
        await WaitForWorkers(first, "phoenix", 1);
        using var client = Client(endpoint, "phoenix", retries: 10, seconds: 1);
        Assert.Equal("worker", await client.CallAsync<string>("whoami"));

        await first.DisposeAsync();
        await using var second = new ZeroBridgeBroker(BrokerOptions(endpoint));
        await second.StartAsync(); // the first broker's listener is released in the background: StartAsync waits for it (Binding.Patience)
        Assert.Equal("worker", await client.CallAsync<string>("whoami"));
        await WaitForWorkers(second, "phoenix", 1);
        Assert.True(worker.Registrations >= 2);
    }

    [Fact]
    public void Commands_are_idempotent_by_attribute_or_by_registry_flag()
    {
        var commands = new CommandRegistry()
            .Add("read", [Idempotent] () => 1)
            .Add("write", () => 2)
            .Add("list", () => 3)
            .MarkIdempotent("list");
        Assert.True(commands.Get("read").IsIdempotent);
        Assert.False(commands.Get("write").IsIdempotent);
        Assert.True(commands.Get("list").IsIdempotent);
        Assert.Throws<UnknownCommandException>(() => commands.MarkIdempotent("nope"));
    }

    [Fact]
    public void Workers_refuse_the_brokers_reserved_names()
    {
        Assert.Throws<ArgumentException>(() => new ZeroBridgeWorker(new CommandRegistry(), "tcp://127.0.0.1:1", "mmi.service"));
        Assert.Throws<ArgumentException>(() => new ZeroBridgeWorker(new CommandRegistry(), "tcp://127.0.0.1:1", ""));
    }
}
