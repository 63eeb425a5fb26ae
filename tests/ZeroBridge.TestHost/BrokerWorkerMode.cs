using System.ComponentModel;
using System.Runtime.InteropServices;
using ZeroBridge.Commands;
using ZeroBridge.Majordomo;

namespace ZeroBridge.TestHost;

/// <summary>
/// The test host as a broker worker: <c>--join ENDPOINT --service NAME [--heartbeat SECONDS] [--liveness N] [--concurrency N] [--name TAG]</c>.
/// Serves the same commands as the direct host, plus <c>broker.*</c> fixtures for the broker tests.
/// </summary>
public static class BrokerWorkerMode
{
    /// <summary>Joins the broker and serves until SIGTERM or SIGINT.</summary>
    public static async Task RunAsync(string[] args, CommandRegistry commands)
    {
        string Option(string name, string fallback)
        {
            int at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
        }

        string name = Option("--name", $"worker-{Environment.ProcessId}");
        commands.AddBrokerTestCommands(name);
        var options = ZeroBridgeWorkerOptions.Default with
        {
            HeartbeatInterval = TimeSpan.FromSeconds(double.Parse(Option("--heartbeat", "2.5"), System.Globalization.CultureInfo.InvariantCulture)),
            HeartbeatLiveness = int.Parse(Option("--liveness", "3")),
            Concurrency = int.Parse(Option("--concurrency", "1")),
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        };
        await using var worker = commands.JoinBroker(Option("--join", ""), Option("--service", "erp"), options);
        var stop = new TaskCompletionSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.TrySetResult(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.TrySetResult(); });
        Console.WriteLine($"Worker {name} (pid {Environment.ProcessId}) serving '{worker.Service}' via {worker.BrokerEndpoint}");
        Console.Out.Flush();
        await stop.Task;
        await worker.StopAsync();
    }

    /// <summary>broker.whoami, broker.slow (not idempotent), broker.slow_idempotent, broker.served.</summary>
    public static CommandRegistry AddBrokerTestCommands(this CommandRegistry commands, string name)
    {
        int served = 0;
        return commands
            .Add("broker.whoami", [Idempotent, Description("This worker's name.")] () =>
            {
                Interlocked.Increment(ref served);
                return name;
            })
            .Add("broker.slow", [Description("Prints STARTED, sleeps, returns this worker's name.")] async (double seconds, CancellationToken token) =>
            {
                Console.WriteLine($"STARTED broker.slow on {name}");
                Console.Out.Flush();
                await Task.Delay(TimeSpan.FromSeconds(seconds), token);
                return name;
            })
            .Add("broker.slow_idempotent", [Idempotent, Description("Like broker.slow (sleeping only on worker only_on, when given), and safe to run twice.")]
                async (double seconds, string? only_on, CancellationToken token) =>
            {
                Console.WriteLine($"STARTED broker.slow_idempotent on {name}");
                Console.Out.Flush();
                if (only_on is null || only_on == name)
                    await Task.Delay(TimeSpan.FromSeconds(seconds), token);
                return name;
            })
            .Add("broker.served", () => Volatile.Read(ref served));
    }
}
