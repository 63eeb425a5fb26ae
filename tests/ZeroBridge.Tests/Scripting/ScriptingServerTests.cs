using ZeroBridge.Commands;
using ZeroBridge.Protocol;
using ZeroBridge.Scripting;
using ZeroBridge.Server;
using ZeroBridge.TestRecords;
using ZeroBridge.Tests.Fixtures;

namespace ZeroBridge.Tests.Scripting;

/// <summary>csharp.run served by a real server or worker: the opt-in and the loopback-only rule.</summary>
public class ScriptingServerTests
{
    [Fact]
    public async Task Scripts_are_disabled_by_default_with_a_clear_refusal()
    {
        await using var running = new RunningServer(new CommandRegistry().AddScripting(new Inventory(), ScriptingOptions.Default));
        var error = await Assert.ThrowsAsync<RemotePermissionDeniedException>(() => running.Client.CallAsync("csharp.run", new { code = "1" }));
        Assert.Equal(ErrorCodes.PermissionDenied, error.Code);
        Assert.Contains("--allow-scripts", error.Message);
    }

    [Fact]
    public async Task Enabled_scripts_run_through_the_server()
    {
        await using var running = new RunningServer(new CommandRegistry().AddScripting(new Inventory(), ScriptingOptions.Default with { Enabled = true, WarmUp = false }));
        var result = await running.Client.CallAsync<Dictionary<string, object?>>("csharp.run", new { code = "Console.Write(1); Count + 1" }, TimeSpan.FromSeconds(60));
        Assert.Equal(4L, result!["value"]);
        Assert.Equal("1", result["output"]);
    }

    [Theory]
    [InlineData("tcp://0.0.0.0:*")]
    [InlineData("tcp://*:*")]
    public async Task Enabled_scripts_refuse_a_non_loopback_endpoint(string endpoint)
    {
        var commands = new CommandRegistry().AddScripting(new Inventory(), ScriptingOptions.Default with { Enabled = true, WarmUp = false });
        await using var server = new ZeroBridgeServer(commands, ZeroBridgeServerOptions.Default with { Endpoint = endpoint });
        var error = await Assert.ThrowsAsync<ZeroBridgeException>(() => server.StartAsync());
        Assert.Contains("loopback", error.Message);
    }

    [Fact]
    public async Task Enabled_scripts_refuse_to_join_a_broker_on_another_machine()
    {
        var commands = new CommandRegistry().AddScripting(new Inventory(), ScriptingOptions.Default with { Enabled = true, WarmUp = false });
        await using var worker = new ZeroBridge.Majordomo.ZeroBridgeWorker(commands, "tcp://10.1.2.3:5555", "erp");
        Assert.Contains("loopback", (await Assert.ThrowsAsync<ZeroBridgeException>(() => worker.StartAsync())).Message);
    }
}
