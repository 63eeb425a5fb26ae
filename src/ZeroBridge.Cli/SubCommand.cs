using System.CommandLine;
using System.Text.Json;
using ZeroBridge.Serialization;
using ZeroBridge.Streams;

namespace ZeroBridge.Cli;

/// <summary><c>zbridge sub ENDPOINT [TOPIC ...]</c>: print a stream from the shell, with gap, restart and silence notices.</summary>
internal static class SubCommand
{
    public static Command Create()
    {
        var endpoint = new Argument<string>("endpoint") { Description = "The publisher, e.g. tcp://127.0.0.1:5556." };
        var topics = new Argument<string[]>("topics") { Description = "Topic prefixes (default: every topic).", Arity = ArgumentArity.ZeroOrMore };
        var snapshot = new Option<string?>("--snapshot") { Description = "Start from the last values served on this snapshot endpoint." };
        var count = new Option<long>("--count") { Description = "Stop after this many values (0: never).", DefaultValueFactory = _ => 0 };
        var conflate = new Option<bool>("--conflate") { Description = "Keep only the newest value of each topic when printing falls behind." };
        var command = new Command("sub", "Subscribe to a ZeroBridge stream and print its values as JSON lines.")
        {
            endpoint, topics, snapshot, count, conflate,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var prefixes = parse.GetValue(topics) is { Length: > 0 } given ? given : [""];
            var options = ZeroBridgeSubscriberOptions.Default with
            {
                SnapshotEndpoint = parse.GetValue(snapshot),
                Conflate = parse.GetValue(conflate),
                OnEvent = e => Console.Error.WriteLine($"! {e.Kind.ToString().ToLowerInvariant()}: {e.Message}"),
            };
            // Without a snapshot, the publisher may start later: print what comes, from whenever it comes.
            options = options with { WaitForPublisher = options.SnapshotEndpoint is not null };
            await using var subscriber = new ZeroBridgeSubscriber(parse.GetValue(endpoint)!, prefixes, options);
            try
            {
                await subscriber.StartAsync(cancellationToken);
            }
            catch (ZeroBridgeException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 1;
            }
            Console.Error.WriteLine($"Subscribed to {string.Join(", ", prefixes.Select(p => $"'{p}'"))} on {parse.GetValue(endpoint)}; Ctrl+C to stop.");
            long limit = parse.GetValue(count), printed = 0;
            try
            {
                await foreach (var message in subscriber.ReadAllAsync(cancellationToken))
                {
                    string value = JsonSerializer.Serialize(message.Value is TableData table ? table.Rows() : message.Value);
                    Console.WriteLine($"{message.Timestamp.ToLocalTime():HH:mm:ss.fff} {message.Topic} #{message.Sequence}{(message.IsSnapshot ? " (snapshot)" : "")} {value}");
                    if (limit > 0 && ++printed >= limit)
                        break;
                }
            }
            catch (OperationCanceledException)
            {
            }
            var stats = subscriber.Statistics;
            Console.Error.WriteLine($"{stats.Received} received, {stats.Gaps} gap(s) ({stats.Missed} missed), {stats.Restarts} restart(s), {stats.Silences} silence(s)");
            return 0;
        });
        return command;
    }
}
