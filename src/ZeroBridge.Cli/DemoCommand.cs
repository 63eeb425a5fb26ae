using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZeroBridge.Demo;
using ZeroBridge.Hosting;
using ZeroBridge.Kernel.Hosting;
using ZeroBridge.Scripting;
using ZeroBridge.Server;

namespace ZeroBridge.Cli;

/// <summary><c>zbridge demo</c>: the sample "legacy application" served over ZeroBridge on the Generic Host.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var bind = new Option<string>("--bind")
        {
            Description = "The endpoint to serve on; port * picks a free one.",
            DefaultValueFactory = _ => "tcp://127.0.0.1:5555",
        };
        var data = new Option<string?>("--data") { Description = $"The SQLite file (created on first run). Default: {SampleDatabase.DefaultPath}" };
        var maxRequest = new Option<long>("--max-request-bytes")
        {
            Description = "The largest request accepted.",
            DefaultValueFactory = _ => ZeroBridgeServerOptions.Default.MaxRequestBytes,
        };
        var verbose = new Option<bool>("--verbose") { Description = "Log every request." };
        var allowScripts = new Option<bool>("--allow-scripts")
        {
            Description = "Let clients run C# inside the demo (csharp.run). Dangerous: loopback endpoints only, unless with --cert " +
                          "and --allow-list (then only for keys whose certificate says scripts = \"true\").",
        };
        var publish = new Option<string?>("--publish")
        {
            Description = $"Also publish a live stream (prices.*, orders.new) on this endpoint (default {DemoStream.DefaultEndpoint}).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var snapshot = new Option<string?>("--snapshot") { Description = "The stream's snapshot endpoint (default: the publish port + 1)." };
        var encryptPayloads = new Option<bool?>("--encrypt-payloads")
        {
            Description = "Encrypt the stream's values per topic (needs --cert); subscribers get the keys on the snapshot endpoint. " +
                          "On by default with --allow-list; '--encrypt-payloads false' turns it off.",
        };
        var rate = new Option<int>("--ticks-per-second") { Description = "Price ticks per second (1 to 1,000,000).", DefaultValueFactory = _ => 10 };
        rate.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 1_000_000)
                result.AddError("--ticks-per-second must be between 1 and 1,000,000.");
        });
        var kernel = new Option<bool>("--kernel")
        {
            Description = "Also run a Jupyter kernel inside the demo (C# against its objects); attach with jupyter console --existing FILE.",
        };
        var certificate = SecurityOptions.Certificate("the server's");
        var insecure = SecurityOptions.Insecure();
        var allowList = SecurityOptions.AllowList();
        var command = new Command("demo", "Run the demo application (a small business database) as a ZeroBridge server.")
        {
            bind, data, maxRequest, verbose, allowScripts, publish, snapshot, encryptPayloads, rate, kernel, certificate, insecure, allowList,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var keyPair = SecurityOptions.LoadKeyPair(parse.GetValue(certificate));
            var clients = SecurityOptions.LoadAllowList(parse.GetValue(allowList), keyPair);
            Console.WriteLine("Preparing the demo database…");
            var database = SampleDatabase.OpenOrCreate(parse.GetValue(data));
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Warning);
            CliLogging.ToStandardError(builder.Services); // stdout is the banner's
            builder.Logging.AddFilter("ZeroBridge.Scripting", LogLevel.Information); // every script run is logged with its client
            // A start that fails (a busy port) is reported once, as zbridge's own error line, not as the host's stack trace.
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
            var scripting = ScriptingOptions.Default with
            {
                Enabled = parse.GetValue(allowScripts),
                Imports = [.. ScriptingOptions.Default.Imports, "ZeroBridge.Demo", "ZeroBridge.Serialization"],
            };
            builder.Services.AddZeroBridge((services, commands) => commands
                    .AddDemoCommands(database)
                    .AddScripting(new DemoScriptGlobals(database), scripting, services.GetService<ILoggerFactory>()?.CreateLogger("ZeroBridge.Scripting")),
                options => options with
                {
                    Endpoint = parse.GetValue(bind)!,
                    MaxRequestBytes = parse.GetValue(maxRequest),
                    Certificate = keyPair,
                    AllowList = clients,
                    Insecure = parse.GetValue(insecure),
                    IncludeStackTraces = true, // a demo for developers: show where a command failed
                });
            var stream = parse.GetResult(publish) is null ? null
                : DemoStream.Add(builder.Services, database, parse.GetValue(publish), parse.GetValue(snapshot), parse.GetValue(rate),
                    keyPair, parse.GetValue(insecure), parse.GetValue(encryptPayloads), clients);
            if (parse.GetValue(kernel))
                builder.Services.AddJupyterKernel(_ => new DemoScriptGlobals(database),
                    options => options with { Imports = [.. options.Imports, "ZeroBridge.Demo", "ZeroBridge.Serialization"] });
            using var host = builder.Build();
            try
            {
                await host.StartAsync(cancellationToken);
            }
            catch (ZeroBridgeException ex)
            {
                // A refusal to start (scripts beyond loopback): the command line asked for something unsafe.
                Console.Error.WriteLine($"error: {ex.Message}");
                return ExitCodes.Usage;
            }
            var endpoint = host.Services.GetRequiredService<ZeroBridgeServer>().Endpoint;
            string scriptsLine = scripting.Enabled
                ? "C# scripts are enabled:  client.run_csharp(\"Orders.Recent(3).Sum(o => o.Total)\")" + Environment.NewLine
                : "";
            if (stream is not null)
                DemoStream.PrintBanner(host.Services, stream);
            if (host.Services.GetService<JupyterKernelHostedService<DemoScriptGlobals>>()?.Kernel is { } running)
                Console.WriteLine($"Jupyter kernel: {running.ConnectionFile}{Environment.NewLine}    jupyter console --existing {running.ConnectionFile}{Environment.NewLine}");
            // Z85 has no quote characters: the key is safe inside Python's double quotes.
            string keyArgument = keyPair is null ? "" : $", server_key=\"{keyPair.PublicKey}\""
                + (clients is null ? "" : ", cert=\"NAME.key_secret\"");  // with an allow-list, a client proves its key
            string pyzmqCurve = keyPair is null ? "" : $"s.curve_publickey, s.curve_secretkey = zmq.curve_keypair(); s.curve_serverkey = b\"{keyPair.PublicKey}\"; ";
            string pyzmqProof = clients is null ? "" : Environment.NewLine
                + "    (this server has an allow-list: a bare JSON client first proves its key, docs/protocol.md §6.1)";
            Console.WriteLine($$$"""
                ZeroBridge demo: Listening on {{{endpoint}}}{{{(keyPair is null ? "" : $" (CURVE, server key {keyPair.PublicKey})")}}}
                Database: {{{database.Path}}}

                From Python (/usr/bin/python3 here; `pip install ./python` elsewhere):

                    import zerobridge
                    client = zerobridge.connect("{{{endpoint}}}"{{{keyArgument}}})
                    client.orders.recent(n=5)          # a pandas DataFrame
                    help(client.orders.recent)

                {{{scriptsLine}}}
                Or with nothing but pyzmq:

                    import zmq; s = zmq.Context().socket(zmq.REQ); {{{pyzmqCurve}}}s.connect("{{{endpoint}}}")
                    s.send_string('{"command": "echo", "args": {"value": [1, 2]}}'); print(s.recv_string()){{{pyzmqProof}}}

                Press Ctrl+C to stop.
                """);
            await host.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
