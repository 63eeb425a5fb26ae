using Microsoft.Extensions.Logging;
using System.CommandLine;
using ZeroBridge.Commands;
using ZeroBridge.Demo;
using ZeroBridge.Tasks;

namespace ZeroBridge.Cli;

/// <summary><c>zbridge task-worker ENDPOINT</c>: a task worker running the demo's task kinds for a producer.</summary>
internal static class TaskWorkerCommand
{
    public static Command Create()
    {
        var endpoint = new Argument<string>("endpoint") { Description = "The producer, e.g. tcp://127.0.0.1:5560." };
        var concurrency = new Option<int>("--concurrency") { Description = "Tasks run at once.", DefaultValueFactory = _ => 1 };
        var serverKey = SecurityOptions.ServerKey();
        var certificate = SecurityOptions.Certificate("this worker's");
        var drain = new Option<double>("--drain")
        {
            Description = "On Ctrl+C or SIGTERM, seconds running tasks may take to finish; the rest are handed back to the producer, " +
                          "which re-sends them to another worker at once.",
            DefaultValueFactory = _ => 0,
        };
        var verbose = new Option<bool>("--verbose") { Description = "Log every task as it starts." };
        var command = new Command("task-worker", "Run tasks (square, sleep, fail, echo) for a ZeroBridge task producer until Ctrl+C or SIGTERM.")
        {
            endpoint, concurrency, drain, verbose, serverKey, certificate,
        };
        drain.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is < 0 or double.NaN)
                result.AddError("--drain must be 0 or more seconds.");
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var logging = CliLogging.Create(parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Warning);
            var commands = new CommandRegistry().AddDemoTasks();
            await using var worker = new ZeroBridgeTaskWorker(commands, parse.GetValue(endpoint)!,
                ZeroBridgeTaskWorkerOptions.Default with
                {
                    Concurrency = parse.GetValue(concurrency),
                    ShutdownTimeout = TimeSpan.FromSeconds(parse.GetValue(drain)),
                    ServerKey = SecurityOptions.LoadServerKey(parse.GetValue(serverKey)),
                    Certificate = SecurityOptions.LoadKeyPair(parse.GetValue(certificate)),
                }, logging.CreateLogger<ZeroBridgeTaskWorker>());
            await worker.StartAsync();
            using (var signals = StopSignals.Listen(cancellationToken)) // before the banner: a signal after it stops gracefully
            {
                Console.WriteLine($"Worker {worker.Name} taking tasks from {parse.GetValue(endpoint)}");
                Console.Out.Flush();
                await signals.WaitAsync();
            }
            await worker.StopAsync();
            Console.WriteLine($"{worker.Completed} task(s) done, {worker.HandedBack} handed back to the producer");
            return ExitCodes.Success; // stopping is what Ctrl+C asks of a worker: not a failure
        });
        return command;
    }
}
