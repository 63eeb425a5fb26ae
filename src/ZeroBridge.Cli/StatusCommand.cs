using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using ZeroBridge.Client;
using ZeroBridge.Protocol;
using Mdp = ZeroBridge.Protocol.Majordomo;

namespace ZeroBridge.Cli;

/// <summary>
/// <c>zbridge status [ENDPOINT]</c>: for operators: is it up, what is it (a server or a broker), how fast does it
/// answer, and what does it serve (commands of a server; services, workers and load of a broker, from 8/MMI).
/// Exit 0 when up, 3 when nothing answers in time.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var endpoint = Endpoints.Argument("The server or broker, e.g. tcp://127.0.0.1:5555.");
        var service = CallerOptions.Service();
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for each answer.", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print the status as one line of JSON." };
        var serverKey = SecurityOptions.ServerKey();
        var certificate = SecurityOptions.ClientCertificate();
        var command = new Command("status", "Check a ZeroBridge server or broker: up or down, latency, commands, or services and workers.")
        {
            endpoint, service, timeout, json, serverKey, certificate,
        };
        timeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is not > 0)
                result.AddError("--timeout must be a positive number of seconds.");
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            string address = Endpoints.Normalize(parse.GetValue(endpoint)!);
            var options = ZeroBridgeClientOptions.Default with
            {
                Service = parse.GetValue(service)!,
                Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                ServerKey = SecurityOptions.LoadServerKey(parse.GetValue(serverKey)),
                Certificate = SecurityOptions.LoadKeyPair(parse.GetValue(certificate)),
            };
            Dictionary<string, object?> status;
            try
            {
                status = await ProbeAsync(address, options, cancellationToken);
            }
            catch (ZeroBridgeTimeoutException)
            {
                if (parse.GetValue(json))
                    Console.WriteLine(CliJson.Serialize(new Dictionary<string, object?> { ["endpoint"] = address, ["up"] = false }));
                Console.Error.WriteLine($"error: {address} is down: no answer within {options.Timeout.TotalSeconds:0.###} s");
                return ExitCodes.Unreachable;
            }
            if (parse.GetValue(json))
                Console.WriteLine(CliJson.Serialize(status));
            else
                Print(status);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A broker answers <c>mmi.broker</c>; a server answers that with an error, and then a ping.</summary>
    private static async Task<Dictionary<string, object?>> ProbeAsync(string address, ZeroBridgeClientOptions options,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var broker = await ZeroBridgeManagement.QueryAsync(address, Mdp.Services.Broker, null, options, cancellationToken);
        double probeMs = clock.Elapsed.TotalMilliseconds;
        var status = new Dictionary<string, object?> { ["endpoint"] = address, ["up"] = true };
        bool behindBroker = broker is { Status: Mdp.Status.Ok, Json: not null };
        if (behindBroker)
        {
            status["kind"] = "broker";
            status["latency_ms"] = Math.Round(probeMs, 3);
            status["broker"] = JsonSerializer.Deserialize<JsonElement>(broker!.Json!);
            var services = await ZeroBridgeManagement.QueryAsync(address, Mdp.Services.ServiceList, null, options, cancellationToken);
            status["services"] = services?.Json is { } list ? JsonSerializer.Deserialize<JsonElement>(list) : null;
            if (options.Service == WireConstants.DefaultService)
                return status; // no service asked for: the broker's own facts are the status
        }
        else
        {
            status["kind"] = "server";
        }

        using var client = new ZeroBridgeClient(address, options);
        await client.CallAsync("ping", null, options.Timeout, cancellationToken); // connects
        clock.Restart();
        await client.CallAsync("ping", null, options.Timeout, cancellationToken);
        status["service"] = options.Service;
        status[behindBroker ? "service_latency_ms" : "latency_ms"] = Math.Round(clock.Elapsed.TotalMilliseconds, 3);
        var commands = await client.CallAsync<List<Dictionary<string, object?>>>("commands", null, options.Timeout, cancellationToken) ?? [];
        // The protocol's own commands (table.*, cancel) are plumbing, not what the application serves.
        status["commands"] = commands.Count(c => c.GetValueOrDefault("name") is string name && !name.StartsWith("table.", StringComparison.Ordinal));
        return status;
    }

    private static void Print(Dictionary<string, object?> status)
    {
        string Ms(string key) => string.Create(CultureInfo.InvariantCulture, $"{status[key]:0.###} ms");
        if (status["kind"] is "broker")
        {
            var broker = (JsonElement)status["broker"]!;
            AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"{status["endpoint"]}: up, a ZeroBridge broker, {Ms("latency_ms")}; up {broker.GetProperty("uptime_seconds").GetDouble():0} s, " +
                $"{broker.GetProperty("services").GetInt32()} service(s), {broker.GetProperty("workers").GetInt32()} worker(s), " +
                $"{broker.GetProperty("requests").GetInt64()} request(s)")));
            if (status["services"] is JsonElement { ValueKind: JsonValueKind.Array } services && services.GetArrayLength() > 0)
            {
                var grid = new Table().Border(TableBorder.Rounded);
                foreach (var column in new[] { "service", "workers", "idle", "busy", "queued" })
                    grid.AddColumn(column);
                foreach (var row in services.EnumerateArray())
                    grid.AddRow(new[] { "service", "workers", "idle", "busy", "queued" }.Select(c => Markup.Escape(row.GetProperty(c).ToString())).ToArray());
                AnsiConsole.Write(grid);
            }
            if (status.ContainsKey("service_latency_ms"))
                AnsiConsole.MarkupLine(Markup.Escape($"service {status["service"]}: ping {Ms("service_latency_ms")}, {status["commands"]} command(s)"));
            return;
        }
        AnsiConsole.MarkupLine(Markup.Escape($"{status["endpoint"]}: up, a ZeroBridge server, ping {Ms("latency_ms")}, {status["commands"]} command(s)"));
    }
}
