using Microsoft.Extensions.Logging;
using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Security;
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
        // Limits far above a first (cold) Roslyn compile on a loaded machine, which the script timeout counts.
        await using var running = new RunningServer(new CommandRegistry().AddScripting(new Inventory(),
            ScriptingOptions.Default with { Enabled = true, WarmUp = false, Timeout = TimeSpan.FromMinutes(3) }));
        var result = await running.Client.CallAsync<Dictionary<string, object?>>("csharp.run", new { code = "Console.Write(1); Count + 1" },
            TimeSpan.FromMinutes(4));
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
    public async Task Beyond_loopback_scripts_run_with_CURVE_and_an_allow_list_for_keys_with_the_scripts_permission_only()
    {
        var serverKeys = ZeroBridgeCertificate.Generate();
        var admin = ZeroBridgeCertificate.Generate(new Dictionary<string, string> { ["name"] = "admin", ["commands"] = "*", ["scripts"] = "true" });
        var analyst = ZeroBridgeCertificate.Generate(new Dictionary<string, string> { ["name"] = "analyst", ["commands"] = "*" });
        var allowed = Directory.CreateTempSubdirectory("zerobridge-scripts-allow-").FullName;
        try
        {
            admin.PublicOnly().Save(allowed, "admin");
            analyst.PublicOnly().Save(allowed, "analyst");
            var log = new ListLogger();
            var commands = new CommandRegistry().AddScripting(new Inventory(), ScriptingOptions.Default with { Enabled = true, WarmUp = false }, log);
            await using var server = new ZeroBridgeServer(commands, ZeroBridgeServerOptions.Default with
            {
                Endpoint = "tcp://0.0.0.0:*",
                Certificate = serverKeys,
                AllowList = AllowList.FromDirectory(allowed),
                ShutdownTimeout = TimeSpan.FromSeconds(1),
            });
            await server.StartAsync(); // beyond loopback: allowed, since every caller proves a key
            string endpoint = server.Endpoint.Replace("0.0.0.0", "127.0.0.1");
            ZeroBridgeClient Client(ZeroBridgeCertificate keys) => new(endpoint, ZeroBridgeClientOptions.Default with
            {
                ServerKey = serverKeys.PublicKey, Certificate = keys, Timeout = TimeSpan.FromSeconds(60),
            });
            using var adminClient = Client(admin);
            using var analystClient = Client(analyst);

            var result = await adminClient.CallAsync<Dictionary<string, object?>>("csharp.run", new { code = "Count + 1" });
            var denied = await Assert.ThrowsAsync<RemotePermissionDeniedException>(() => analystClient.CallAsync("csharp.run", new { code = "1" }));

            Assert.Equal(4L, result!["value"]);
            Assert.Contains("scripts", denied.Message);
            Assert.Contains(log.Lines, line => line.Contains("Script run") && line.Contains(admin.PublicKey));
            Assert.DoesNotContain(log.Lines, line => line.Contains(analyst.PublicKey));
        }
        finally
        {
            Directory.Delete(allowed, recursive: true);
        }
    }

    [Fact]
    public async Task Beyond_loopback_scripts_with_CURVE_but_no_allow_list_still_refuse_to_start()
    {
        var commands = new CommandRegistry().AddScripting(new Inventory(), ScriptingOptions.Default with { Enabled = true, WarmUp = false });
        await using var server = new ZeroBridgeServer(commands, ZeroBridgeServerOptions.Default with
        {
            Endpoint = "tcp://0.0.0.0:*",
            Certificate = ZeroBridgeCertificate.Generate(),
        });
        Assert.Contains("AllowList", (await Assert.ThrowsAsync<ZeroBridgeException>(() => server.StartAsync())).Message);
    }

    /// <summary>Keeps what is logged, to check what a script run leaves in the log.</summary>
    [Fact]
    public async Task Enabled_scripts_refuse_to_join_a_broker_on_another_machine()
    {
        var commands = new CommandRegistry().AddScripting(new Inventory(), ScriptingOptions.Default with { Enabled = true, WarmUp = false });
        await using var worker = new ZeroBridge.Majordomo.ZeroBridgeWorker(commands, "tcp://10.1.2.3:5555", "erp");
        Assert.Contains("loopback", (await Assert.ThrowsAsync<ZeroBridgeException>(() => worker.StartAsync())).Message);
    }
}
