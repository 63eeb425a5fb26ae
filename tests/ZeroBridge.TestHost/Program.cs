using System.Runtime.InteropServices;
using ZeroBridge.Commands;
using ZeroBridge.Demo;
using ZeroBridge.Scripting;
using ZeroBridge.Server;
using ZeroBridge.TestHost;

// Usage: ZeroBridge.TestHost --bind ENDPOINT --data FILE [--max-request-bytes N] [--allow-scripts] [--cert NAME.key_secret]
string Option(string name, string fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

var database = SampleDatabase.OpenOrCreate(Option("--data", Path.Combine(Path.GetTempPath(), "zerobridge-test.db")));
var commands = new CommandRegistry().AddDemoCommands(database).AddTestCommands().AddTableTestCommands().AddStreamTestCommands().AddProbeCommands()
    .AddScripting(new DemoScriptGlobals(database), ScriptingOptions.Default with
    {
        Enabled = args.Contains("--allow-scripts"),
        Timeout = TimeSpan.FromMinutes(3), // far above a cold compile on a loaded machine; tests of the timeout pass their own
        HardStopGrace = TimeSpan.FromSeconds(1),
        Imports = [.. ScriptingOptions.Default.Imports, "ZeroBridge.Demo"],
    });
if (args.Contains("--join")) { await BrokerWorkerMode.RunAsync(args, commands); return; }
var options = ZeroBridgeServerOptions.Default with
{
    Endpoint = Option("--bind", "tcp://127.0.0.1:*"),
    MaxRequestBytes = long.Parse(Option("--max-request-bytes", ZeroBridgeServerOptions.Default.MaxRequestBytes.ToString())),
    ShutdownTimeout = TimeSpan.FromSeconds(1),
    TableChunkBytes = long.Parse(Option("--table-chunk-bytes", ZeroBridgeServerOptions.Default.TableChunkBytes.ToString())),
    Certificate = Option("--cert", "") is { Length: > 0 } keyPairFile ? ZeroBridge.Security.ZeroBridgeCertificate.Load(keyPairFile) : null,
};
await using var server = new ZeroBridgeServer(commands, options);
await server.StartAsync();

var stop = new TaskCompletionSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.TrySetResult(); });
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.TrySetResult(); });
Console.WriteLine($"Listening on {server.Endpoint}");
Console.Out.Flush();
await stop.Task;
await server.StopAsync();
