using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZeroBridge.Client;
using ZeroBridge.Kernel;
using ZeroBridge.Kernel.Hosting;

namespace ZeroBridge.Cli;

/// <summary>
/// <c>zbridge kernel</c>: the C# Jupyter kernel. <c>install</c> writes a kernelspec whose argv runs
/// <c>zbridge kernel start -f {connection_file}</c> from this build; <c>start</c> is what Jupyter runs.
/// </summary>
internal static class KernelCommand
{
    private const string DefaultName = "csharp-zerobridge";

    public static Command Create() => new("kernel", "The C# Jupyter kernel: install its kernelspec, or run it (Jupyter does).")
    {
        CreateStart(), CreateInstall(),
    };

    private static Option<string?> AttachOption() => new("--attach")
    {
        Description = "Run cells inside the running application at this ZeroBridge endpoint (its csharp.run service; start it with --allow-scripts).",
    };

    private static Option<string?> ServiceOption() => new("--service") { Description = "The service name behind a broker (with --attach)." };

    private static Command CreateStart()
    {
        var connectionFile = new Option<string>("--connection-file", "-f") { Description = "The connection file Jupyter wrote.", Required = true };
        var attach = AttachOption();
        var service = ServiceOption();
        var verbose = new Option<bool>("--verbose") { Description = "Log every dropped message and failure to stderr." };
        var serverKey = SecurityOptions.ServerKey();
        var certificate = SecurityOptions.Certificate("this kernel's");
        var command = new Command("start", "Serve a connection file as a C# kernel (what the kernelspec's argv runs).")
        {
            connectionFile, attach, service, verbose, serverKey, certificate,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Logs go to stderr (as every zbridge command's do): Jupyter shows neither stream, but stderr reaches its log.
            using var logging = CliLogging.Create(parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
            var logger = logging.CreateLogger("ZeroBridge.Kernel");
            var options = JupyterKernelOptions.Default with { ConnectionFile = parse.GetValue(connectionFile) };
            JupyterKernel kernel;
            try
            {
                kernel = parse.GetValue(attach) is { } endpoint
                    ? JupyterKernel.Attach(endpoint, ClientOptions(parse.GetValue(service)) with
                    {
                        ServerKey = SecurityOptions.LoadServerKey(parse.GetValue(serverKey)),
                        Certificate = SecurityOptions.LoadKeyPair(parse.GetValue(certificate)),
                    }, options: options, logger: logger)
                    : JupyterKernel.Start(new StandaloneGlobals(), options, logger);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException)
            {
                throw new UsageException($"the connection file: {ex.Message}"); // a busy port is the network's: CliFailure names it
            }
            await using (kernel)
            {
                // Jupyter stops a kernel with shutdown_request, and SIGTERM/SIGKILL when that fails.
                await kernel.Stopped.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static ZeroBridgeClientOptions ClientOptions(string? service) =>
        service is null ? ZeroBridgeClientOptions.Default : ZeroBridgeClientOptions.Default with { Service = service };

    private static Command CreateInstall()
    {
        var user = new Option<bool>("--user") { Description = "Install for the current user (the default)." };
        var sysPrefix = new Option<bool>("--sys-prefix") { Description = "Install into the Python environment's prefix (sys.prefix of --python)." };
        var prefix = new Option<string?>("--prefix") { Description = "Install into PREFIX/share/jupyter/kernels." };
        var python = new Option<string>("--python") { Description = "The Python whose sys.prefix --sys-prefix uses.", DefaultValueFactory = _ => "python3" };
        var name = new Option<string?>("--name") { Description = $"The kernelspec's name (default: {DefaultName}, or zbridge-<host>-<port> with --attach)." };
        var displayName = new Option<string?>("--display-name") { Description = "The name front-ends show (default: C# (ZeroBridge))." };
        var attach = AttachOption();
        var service = ServiceOption();
        var serverKey = SecurityOptions.ServerKey();
        var certificate = SecurityOptions.Certificate("the kernel's");
        var command = new Command("install", "Install the kernelspec \"C# (ZeroBridge)\" so Jupyter can start this kernel.")
        {
            user, sysPrefix, prefix, python, name, displayName, attach, service, serverKey, certificate,
        };
        command.SetAction(parse =>
        {
            string? endpoint = parse.GetValue(attach);
            string kernelName = parse.GetValue(name) ?? (endpoint is null ? DefaultName : AttachName(endpoint));
            string root;
            if (parse.GetValue(prefix) is { } explicitPrefix)
                root = Path.Combine(explicitPrefix, "share", "jupyter", "kernels");
            else if (parse.GetValue(sysPrefix))
            {
                if (SysPrefix(parse.GetValue(python)!) is not { } found)
                {
                    throw new UsageException($"could not ask {parse.GetValue(python)} for sys.prefix (pass --python or --prefix)");
                }
                root = Path.Combine(found, "share", "jupyter", "kernels");
            }
            else
                root = Path.Combine(JupyterPaths.DataDirectory(), "kernels");
            string directory = Path.Combine(root, kernelName);
            var argv = new JsonArray(LauncherArgv().Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
            foreach (var argument in new[] { "kernel", "start", "-f", "{connection_file}" })
                argv.Add(argument);
            if (endpoint is not null)
            {
                argv.Add("--attach");
                argv.Add(endpoint);
                if (parse.GetValue(service) is { } serviceName)
                {
                    argv.Add("--service");
                    argv.Add(serviceName);
                }
                // Key files by absolute path: Jupyter starts the kernel from another directory.
                if (parse.GetValue(serverKey) is { } key)
                {
                    argv.Add("--server-key");
                    argv.Add(File.Exists(key) ? Path.GetFullPath(key) : key);
                }
                if (parse.GetValue(certificate) is { } keyPairFile)
                {
                    argv.Add("--cert");
                    argv.Add(Path.GetFullPath(keyPairFile));
                }
            }
            var spec = new JsonObject
            {
                ["argv"] = argv,
                ["display_name"] = parse.GetValue(displayName) ?? (endpoint is null ? "C# (ZeroBridge)" : $"C# in {endpoint} (ZeroBridge)"),
                ["language"] = "csharp",
                ["interrupt_mode"] = "message",
                ["metadata"] = new JsonObject(),
            };
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, "kernel.json"), spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"Installed kernelspec {kernelName} in {directory}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>How to run this build of zbridge: the apphost itself, or <c>dotnet zbridge.dll</c>.</summary>
    private static IEnumerable<string> LauncherArgv()
    {
        string dll = typeof(KernelCommand).Assembly.Location;
        string? process = Environment.ProcessPath;
        bool viaDotnet = process is null || Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        return viaDotnet ? [process ?? "dotnet", dll] : [process!];
    }

    private static string AttachName(string endpoint) =>
        "zbridge-" + new string(endpoint.Replace("tcp://", "", StringComparison.Ordinal).Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());

    private static string? SysPrefix(string python)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(python, ["-c", "import sys; print(sys.prefix)"])
            {
                RedirectStandardOutput = true,
            });
            if (process is null)
                return null;
            string output = process.StandardOutput.ReadToEnd().Trim();
            return process.WaitForExit(10_000) && process.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
