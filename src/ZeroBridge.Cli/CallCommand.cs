using System.CommandLine;
using ZeroBridge.Client;
using ZeroBridge.Serialization;

namespace ZeroBridge.Cli;

/// <summary><c>zbridge call ENDPOINT COMMAND [value ... | name=value ...]</c>: call a command from the shell and print the result.</summary>
internal static class CallCommand
{
    public static Command Create()
    {
        var endpoint = Endpoints.Argument("The server, e.g. tcp://127.0.0.1:5555 (host:port means tcp://host:port).");
        var name = new Argument<string>("command") { Description = "The command, e.g. orders.recent." };
        var arguments = new Argument<string[]>("arguments")
        {
            Description = "Arguments: name=value (keyword) or value (positional), not both; values are read as JSON when they parse, else as text.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the reply.", DefaultValueFactory = _ => 30 };
        var service = CallerOptions.Service();
        var retries = new Option<int>("--retries") { Description = "Re-sends after a timeout (only for commands safe to run twice)." };
        var serverKey = SecurityOptions.ServerKey();
        var certificate = SecurityOptions.ClientCertificate();
        var json = new Option<bool>("--json") { Description = "Print the result as one line of JSON, also a table (default at a terminal: tables drawn as tables)." };
        var command = new Command("call", "Call a command on a ZeroBridge server, directly or through a broker, and print the result.")
        {
            endpoint, name, arguments, timeout, service, retries, json, serverKey, certificate,
        };
        timeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is not > 0)
                result.AddError("--timeout must be a positive number of seconds.");
        });
        command.SetAction(async (parse, parserToken) =>
        {
            using var signals = StopSignals.Listen(parserToken);
            var cancellationToken = signals.Token;
            var (positional, keyword) = ParseArguments(parse.GetValue(arguments) ?? []);
            using var client = new ZeroBridgeClient(Endpoints.Normalize(parse.GetValue(endpoint)!), ZeroBridgeClientOptions.Default with
            {
                Service = parse.GetValue(service)!,
                Retries = parse.GetValue(retries),
                ServerKey = SecurityOptions.LoadServerKey(parse.GetValue(serverKey)),
                Certificate = SecurityOptions.LoadKeyPair(parse.GetValue(certificate)),
            });
            var wait = TimeSpan.FromSeconds(parse.GetValue(timeout));
            string commandName = parse.GetValue(name)!;
            object? result = positional.Count > 0
                ? await client.CallPositionalAsync<object>(commandName, positional, wait, cancellationToken)
                : await client.CallAsync(commandName, keyword, wait, cancellationToken);
            if (result is TableData table && !parse.GetValue(json) && !Console.IsOutputRedirected)
                TablePrinter.Write(table);
            else
                Console.WriteLine(CliJson.Serialize(result, indented: !parse.GetValue(json)));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Positional values and <c>name=value</c> pairs (<see cref="ArgumentWords"/>).</summary>
    /// <exception cref="UsageException">Both kinds were given, or a word looks like an unknown option.</exception>
    internal static (List<object?> Positional, Dictionary<string, object?> Keyword) ParseArguments(IEnumerable<string> words)
    {
        var positional = new List<object?>();
        var keyword = new Dictionary<string, object?>();
        foreach (var word in words)
        {
            // The arguments take any word, so an option zbridge does not know would otherwise be sent as a value.
            if (word.StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"unknown option '{word}' (zbridge call --help lists the options)");
            if (ArgumentWords.TryKeyword(word, out var name, out var value))
                keyword[name] = value;
            else
                positional.Add(ArgumentWords.FromJson(word));
        }
        if (positional.Count > 0 && keyword.Count > 0)
            throw new UsageException("give the arguments either all by position (3) or all by name (n=3), not both");
        return (positional, keyword);
    }
}
