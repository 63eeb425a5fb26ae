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

    private sealed record Greeter(string Word);
}
