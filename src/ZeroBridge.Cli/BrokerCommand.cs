using System.CommandLine;
using Microsoft.Extensions.Logging;
using ZeroBridge.Majordomo;

namespace ZeroBridge.Cli;

/// <summary><c>zbridge broker --bind tcp://0.0.0.0:5555 --cert broker.key_secret</c>: a Majordomo broker between clients and workers.</summary>
internal static class BrokerCommand
{
    public static Command Create()
    {
        var defaults = ZeroBridgeBrokerOptions.Default;
        var bind = new Option<string>("--bind") { Description = "The endpoint clients and workers connect to; port * picks a free one.", DefaultValueFactory = _ => defaults.Endpoint };
        var heartbeat = new Option<double>("--heartbeat") { Description = "Seconds between heartbeats (workers must use the same).", DefaultValueFactory = _ => defaults.HeartbeatInterval.TotalSeconds };
        var liveness = new Option<int>("--liveness") { Description = "Missed heartbeats before a worker is dead.", DefaultValueFactory = _ => defaults.HeartbeatLiveness };
        var requestTimeout = new Option<double>("--request-timeout") { Description = "Seconds a request waits for a worker before service_unavailable.", DefaultValueFactory = _ => defaults.RequestTimeout.TotalSeconds };
        var retries = new Option<int>("--retries") { Description = "Re-sends of an idempotent command whose worker was lost.", DefaultValueFactory = _ => defaults.MaxRetries };
        var verbose = new Option<bool>("--verbose") { Description = "Log workers coming and going." };
        var certificate = SecurityOptions.Certificate("the broker's");
        var insecure = SecurityOptions.Insecure();
        var allowList = SecurityOptions.AllowList();
        var command = new Command("broker", "Run a Majordomo (7/MDP) broker: clients name a service, workers offer services.")
        {
            bind, heartbeat, liveness, requestTimeout, retries, verbose, certificate, insecure, allowList,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var logging = CliLogging.Create(parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
            var keyPair = SecurityOptions.LoadKeyPair(parse.GetValue(certificate));
            var options = defaults with
            {
                Endpoint = parse.GetValue(bind)!,
                HeartbeatInterval = TimeSpan.FromSeconds(parse.GetValue(heartbeat)),
                HeartbeatLiveness = parse.GetValue(liveness),
                RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(requestTimeout)),
                MaxRetries = parse.GetValue(retries),
                Certificate = keyPair,
                AllowList = SecurityOptions.LoadAllowList(parse.GetValue(allowList), keyPair),
                Insecure = parse.GetValue(insecure),
            };
            await using var broker = new ZeroBridgeBroker(options, logging.CreateLogger<ZeroBridgeBroker>());
            await broker.StartAsync();
            using (var signals = StopSignals.Listen(cancellationToken)) // before the banner: a signal after it stops gracefully
            {
                Console.WriteLine($"ZeroBridge broker: Listening on {broker.Endpoint}");
                Console.Out.Flush();
                await signals.WaitAsync();
            }
            await broker.StopAsync();
            return 0;
        });
        return command;
    }
}
