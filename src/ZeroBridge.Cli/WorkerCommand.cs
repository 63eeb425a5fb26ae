using System.CommandLine;
using Microsoft.Extensions.Logging;
using ZeroBridge.Commands;
using ZeroBridge.Demo;
using ZeroBridge.Majordomo;

namespace ZeroBridge.Cli;

/// <summary><c>zbridge worker --connect tcp://host:5555 --service erp</c>: the demo commands as a broker service.</summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var defaults = ZeroBridgeWorkerOptions.Default;
        var connect = new Option<string>("--connect") { Description = "The broker's endpoint.", DefaultValueFactory = _ => "tcp://127.0.0.1:5555" };
        var service = new Option<string>("--service") { Description = "The service name to offer.", DefaultValueFactory = _ => "erp" };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests run at once (one broker connection each).", DefaultValueFactory = _ => defaults.Concurrency };
        var heartbeat = new Option<double>("--heartbeat") { Description = "Seconds between heartbeats (the broker's value).", DefaultValueFactory = _ => defaults.HeartbeatInterval.TotalSeconds };
        var liveness = new Option<int>("--liveness") { Description = "Missed heartbeats before reconnecting.", DefaultValueFactory = _ => defaults.HeartbeatLiveness };
        var data = new Option<string?>("--data") { Description = $"The demo's SQLite file (created on first run). Default: {SampleDatabase.DefaultPath}" };
        var verbose = new Option<bool>("--verbose") { Description = "Log registrations and reconnections." };
        var serverKey = SecurityOptions.ServerKey();
        var certificate = SecurityOptions.Certificate("this worker's");
        var allowList = new Option<string?>("--allow-list")
        {
            Description = "Apply per-caller command permissions: a caller the broker authenticated may run only what the 'commands' " +
                          "of its NAME.key file in DIR permit (the built-ins always; nothing for a key not there, nor for a request " +
                          "from a broker without an allow-list). Re-read when it changes. Use the broker's allow-list directory.",
        };
        var command = new Command("worker", "Serve the demo application's commands as a service of a Majordomo broker.")
        {
            connect, service, concurrency, heartbeat, liveness, data, verbose, serverKey, certificate, allowList,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var logging = CliLogging.Create(parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
            var database = SampleDatabase.OpenOrCreate(parse.GetValue(data));
            var commands = new CommandRegistry().AddDemoCommands(database);
            var options = defaults with
            {
                Concurrency = parse.GetValue(concurrency),
                HeartbeatInterval = TimeSpan.FromSeconds(parse.GetValue(heartbeat)),
                HeartbeatLiveness = parse.GetValue(liveness),
                ServerKey = SecurityOptions.LoadServerKey(parse.GetValue(serverKey)),
                Certificate = SecurityOptions.LoadKeyPair(parse.GetValue(certificate)),
                AllowList = SecurityOptions.LoadCallerPermissions(parse.GetValue(allowList)),
            };
            await using var worker = commands.JoinBroker(parse.GetValue(connect)!, parse.GetValue(service)!, options,
                logging.CreateLogger<ZeroBridgeWorker>());
            using (var signals = StopSignals.Listen(cancellationToken)) // before the banner: a signal after it stops gracefully
            {
                Console.WriteLine($"ZeroBridge worker: serving '{worker.Service}' through {worker.BrokerEndpoint} (pid {Environment.ProcessId})");
                Console.Out.Flush();
                await signals.WaitAsync();
            }
            await worker.StopAsync();
            return 0;
        });
        return command;
    }
}
