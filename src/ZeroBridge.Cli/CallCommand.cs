using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ZeroBridge.Client;
using ZeroBridge.Serialization;

namespace ZeroBridge.Cli;

/// <summary><c>zbridge call ENDPOINT COMMAND [name=value ...]</c>: call a command from the shell and print the result.</summary>
internal static class CallCommand
{
    public static Command Create()
    {
        var endpoint = new Argument<string>("endpoint") { Description = "The server, e.g. tcp://127.0.0.1:5555." };
        var name = new Argument<string>("command") { Description = "The command, e.g. orders.recent." };
        var arguments = new Argument<string[]>("arguments")
        {
            Description = "Keyword arguments as name=value; values are read as JSON when they parse, else as text.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the reply.", DefaultValueFactory = _ => 30 };
        var service = new Option<string>("--service")
        {
            Description = "The service to call through a Majordomo broker (e.g. erp); not needed for a server called directly.",
            DefaultValueFactory = _ => ZeroBridgeClientOptions.Default.Service,
        };
        var retries = new Option<int>("--retries") { Description = "Re-sends after a timeout (only for commands safe to run twice)." };
        var serverKey = SecurityOptions.ServerKey();
        var certificate = SecurityOptions.Certificate("this client's");
        var command = new Command("call", "Call a command on a ZeroBridge server, directly or through a broker, and print the result as JSON.")
        {
            endpoint, name, arguments, timeout, service, retries, serverKey, certificate,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            ZeroBridgeClientOptions options;
            try
            {
                options = ZeroBridgeClientOptions.Default with
                {
                    Service = parse.GetValue(service)!,
                    Retries = parse.GetValue(retries),
                    ServerKey = SecurityOptions.LoadServerKey(parse.GetValue(serverKey)),
                    Certificate = SecurityOptions.LoadKeyPair(parse.GetValue(certificate)),
                };
            }
            catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 1;
            }
            using var client = new ZeroBridgeClient(parse.GetValue(endpoint)!, options);
            try
            {
                var result = await client.CallAsync(parse.GetValue(name)!, ParseArguments(parse.GetValue(arguments) ?? []),
                    TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellationToken);
                Console.WriteLine(JsonSerializer.Serialize(result is TableData table ? table.Rows() : result,
                    new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            catch (ZeroBridgeException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    internal static Dictionary<string, object?> ParseArguments(IEnumerable<string> pairs)
    {
        var result = new Dictionary<string, object?>();
        foreach (var pair in pairs)
        {
            int equals = pair.IndexOf('=');
            if (equals <= 0)
                throw new ArgumentException($"'{pair}' is not name=value.");
            string text = pair[(equals + 1)..];
            result[pair[..equals]] = FromJson(text);
        }
        return result;
    }

    internal static object? FromJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return Convert(document.RootElement);
        }
        catch (JsonException)
        {
            return text;
        }
    }

    private static object? Convert(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number when element.TryGetInt64(out long integer) => integer,
        JsonValueKind.Number => element.GetDouble(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => element.EnumerateArray().Select(Convert).ToArray(),
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => Convert(p.Value)),
        _ => null,
    };
}
