using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ZeroBridge.Client;
using ZeroBridge.Hosting;
using ZeroBridge.Server;

namespace ZeroBridge.Tests.Hosting;

public class HostingTests
{
    [Fact]
    public async Task AddZeroBridge_serves_with_the_host_and_stops_with_it()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(new Greeter("hello"));
        builder.Services.AddZeroBridge((provider, commands) => commands.Add("greet",
                (string name) => $"{provider.GetRequiredService<Greeter>().Word}, {name}"),
            options => options with { Endpoint = "tcp://127.0.0.1:*" });
        using var host = builder.Build();
        await host.StartAsync();
        var server = host.Services.GetRequiredService<ZeroBridgeServer>();
        using (var client = new ZeroBridgeClient(server.Endpoint))
            Assert.Equal("hello, ada", await client.CallAsync<string>("greet", new { name = "ada" }, TimeSpan.FromSeconds(10)));
        await host.StopAsync();
        using var after = new ZeroBridgeClient(server.Endpoint);
        await Assert.ThrowsAsync<ZeroBridgeTimeoutException>(() => after.CallAsync("ping", timeout: TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Commands_run_in_a_scope_per_request_with_services_as_parameters()
    {
        var builder = Host.CreateApplicationBuilder();
        // As in Development: resolving a scoped service from the root provider throws instead of leaking it.
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true }));
        builder.Services.AddSingleton<ScopeLog>();
        builder.Services.AddScoped<UnitOfWork>();
        builder.Services.AddZeroBridge((_, commands) => commands
                .Add("work.id", (UnitOfWork work, int plus) => work.Id + plus)
                .AddObject<Ledger>("ledger"),
            options => options with { Endpoint = "tcp://127.0.0.1:*" });
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var server = host.Services.GetRequiredService<ZeroBridgeServer>();
            var log = host.Services.GetRequiredService<ScopeLog>();
            using var client = new ZeroBridgeClient(server.Endpoint);
            var timeout = TimeSpan.FromSeconds(10);

            int first = await client.CallAsync<int>("work.id", new { plus = 0 }, timeout);
            int second = await client.CallAsync<int>("work.id", new { plus = 0 }, timeout);
            Assert.NotEqual(first, second); // a fresh scope, so a fresh scoped service, per request
            // The same scope for the command object and its parameters, ended once the reply is encoded.
            var entry = await client.CallAsync<Dictionary<string, object?>>("ledger.entry", null, timeout);
            Assert.Equal(entry!["ledger_work"], entry["parameter_work"]);
            Assert.Contains(System.Convert.ToInt32(entry["ledger_work"]), log.Disposed);

            // Services are not arguments: callers neither see nor pass them.
            var described = await client.CallAsync<List<Dictionary<string, object?>>>("commands", null, timeout);
            var parameters = (IEnumerable<object?>)described!.Single(c => (string?)c["name"] == "work.id")["parameters"]!;
            Assert.Equal(["plus"], parameters.Select(p => (string?)((IDictionary<string, object?>)p!)["name"]));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Theory]
    [InlineData("Production", false)]
    [InlineData("Development", true)]
    public async Task Errors_carry_stacks_only_in_Development_and_map_exceptions_to_codes(string environment, bool stacks)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = environment });
        builder.Services.AddZeroBridge(commands => commands
                .Add("take", (int n) => n > 0 ? n : throw new ArgumentOutOfRangeException(nameof(n), n, "n must be positive."))
                .Add("find", (string key) => new Dictionary<string, int>()[key])
                .MapException<KeyNotFoundException>(ZeroBridge.Protocol.ErrorCodes.NotFound),
            options => options with { Endpoint = "tcp://127.0.0.1:*" });
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            using var client = new ZeroBridgeClient(host.Services.GetRequiredService<ZeroBridgeServer>().Endpoint);
            var timeout = TimeSpan.FromSeconds(10);
            var invalid = await Assert.ThrowsAnyAsync<ZeroBridgeRemoteException>(() => client.CallAsync("take", new { n = 0 }, timeout));
            Assert.Equal("invalid_argument", invalid.Code);
            Assert.Equal("n", invalid.Details["parameter"]);
            Assert.Equal(stacks, invalid.RemoteStackTrace is not null);
            var missing = await Assert.ThrowsAnyAsync<ZeroBridgeRemoteException>(() => client.CallAsync("find", new { key = "x" }, timeout));
            Assert.Equal("not_found", missing.Code);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private sealed record Greeter(string Word);

    /// <summary>Which scoped units of work were disposed (a singleton, so the test can look after the request).</summary>
    private sealed class ScopeLog
    {
        private int _next;
        public System.Collections.Concurrent.ConcurrentBag<int> Disposed { get; } = [];
        public int Next() => Interlocked.Increment(ref _next);
    }

    /// <summary>A scoped service, like an EF Core DbContext.</summary>
    private sealed class UnitOfWork(ScopeLog log) : IDisposable
    {
        public int Id { get; } = log.Next();
        public void Dispose() => log.Disposed.Add(Id);
    }

    /// <summary>Commands of a class resolved per request, with a scoped dependency.</summary>
    private sealed class Ledger(UnitOfWork work)
    {
        public Dictionary<string, object?> Entry(UnitOfWork parameter) => new()
        {
            ["ledger_work"] = work.Id,
            ["parameter_work"] = parameter.Id,
        };
    }
}
