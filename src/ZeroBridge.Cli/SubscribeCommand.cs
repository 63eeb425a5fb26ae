using System.CommandLine;
using ZeroBridge.Streams;

namespace ZeroBridge.Cli;

/// <summary><c>zbridge sub ENDPOINT [TOPIC ...]</c>: print a stream from the shell, with gap, restart and silence notices.</summary>
internal static class SubscribeCommand
{
    public static Command Create()
    {
        var endpoint = new Argument<string>("endpoint") { Description = "The publisher, e.g. tcp://127.0.0.1:5556." };
        var topics = new Argument<string[]>("topics") { Description = "Topic prefixes (default: every topic).", Arity = ArgumentArity.ZeroOrMore };
        var snapshot = new Option<string?>("--snapshot") { Description = "Start from the last values served on this snapshot endpoint." };
        var count = new Option<long>("--count") { Description = "Stop after this many values (0: never).", DefaultValueFactory = _ => 0 };
        var conflate = new Option<bool>("--conflate") { Description = "Keep only the newest value of each topic when printing falls behind." };
        var json = new Option<bool>("--json") { Description = "Print each message as one JSON object per line: topic, seq, time, snapshot, value." };
        var timeout = new Option<double?>("--timeout") { Description = "Give up (exit 3) when no value arrives for this many seconds." };
        var serverKey = SecurityOptions.ServerKey();
        var certificate = SecurityOptions.Certificate("this subscriber's");
        var command = new Command("sub", "Subscribe to a ZeroBridge stream and print its values, one line each.")
        {
            endpoint, topics, snapshot, count, conflate, json, timeout, serverKey, certificate,
        };
        command.SetAction(async (parse, parserToken) =>
        {
            using var signals = StopSignals.Listen(parserToken);
            var cancellationToken = signals.Token;
            var prefixes = parse.GetValue(topics) is { Length: > 0 } given ? given : [""];
            string where = Endpoints.Normalize(parse.GetValue(endpoint)!);
            var options = ZeroBridgeSubscriberOptions.Default with
            {
                SnapshotEndpoint = parse.GetValue(snapshot) is { } snapshotEndpoint ? Endpoints.Normalize(snapshotEndpoint) : null,
                Conflate = parse.GetValue(conflate),
                ServerKey = SecurityOptions.LoadServerKey(parse.GetValue(serverKey)),
                Certificate = SecurityOptions.LoadKeyPair(parse.GetValue(certificate)),
                OnEvent = e => Console.Error.WriteLine($"! {e.Kind.ToString().ToLowerInvariant()}: {e.Message}"),
            };
            // Without a snapshot, the publisher may start later: print what comes, from whenever it comes.
            options = options with { WaitForPublisher = options.SnapshotEndpoint is not null };
            await using var subscriber = new ZeroBridgeSubscriber(where, prefixes, options);
            await subscriber.StartAsync(cancellationToken);
            Console.Error.WriteLine($"Subscribed to {string.Join(", ", prefixes.Select(p => $"'{p}'"))} on {where}; Ctrl+C to stop.");
            long limit = parse.GetValue(count), printed = 0;
            bool asJson = parse.GetValue(json);
            var silence = parse.GetValue(timeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : Timeout.InfiniteTimeSpan;
            int exitCode = ExitCodes.Success;
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            try
            {
                quiet.CancelAfter(silence);
                await foreach (var message in subscriber.ReadAllAsync(quiet.Token))
                {
                    quiet.CancelAfter(silence); // the silence counts from the last value
                    Console.WriteLine(asJson
                        ? CliJson.Serialize(new { topic = message.Topic, seq = message.Sequence, time = message.Timestamp, snapshot = message.IsSnapshot, value = message.Value })
                        : $"{message.Timestamp.ToLocalTime():HH:mm:ss.fff} {message.Topic} #{message.Sequence}{(message.IsSnapshot ? " (snapshot)" : "")} {CliJson.Serialize(message.Value)}");
                    if (limit > 0 && ++printed >= limit)
                        break;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Console.Error.WriteLine($"error: no value from {where} within {silence.TotalSeconds:0.###} s");
                exitCode = ExitCodes.Unreachable;
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: stopping is what was asked; the summary below still prints.
            }
            var stats = subscriber.Statistics;
            Console.Error.WriteLine($"{stats.Received} received, {stats.Gaps} gap(s) ({stats.Missed} missed), {stats.Restarts} restart(s), {stats.Silences} silence(s)");
            return exitCode;
        });
        return command;
    }
}
