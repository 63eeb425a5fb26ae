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
        var command = new Command("task-worker", "Run tasks (square, sleep, fail, echo) for a ZeroBridge task producer until Ctrl+C.")
        {
            endpoint, concurrency, serverKey, certificate,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var commands = new CommandRegistry().AddDemoTasks();
            await using var worker = new ZeroBridgeTaskWorker(commands, parse.GetValue(endpoint)!,
                ZeroBridgeTaskWorkerOptions.Default with
                {
                    Concurrency = parse.GetValue(concurrency),
                    ServerKey = SecurityOptions.LoadServerKey(parse.GetValue(serverKey)),
                    Certificate = SecurityOptions.LoadKeyPair(parse.GetValue(certificate)),
                });
            await worker.StartAsync();
            Console.WriteLine($"Worker {worker.Name} taking tasks from {parse.GetValue(endpoint)}");
            Console.Out.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
            await worker.StopAsync();
            Console.Error.WriteLine($"{worker.Completed} task(s) done");
            return 0;
        });
        return command;
    }
}
