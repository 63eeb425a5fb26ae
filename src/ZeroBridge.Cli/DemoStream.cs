using Microsoft.Extensions.DependencyInjection;
using ZeroBridge.Demo;
using ZeroBridge.Hosting;
using ZeroBridge.Security;
using ZeroBridge.Streams;

namespace ZeroBridge.Cli;

/// <summary>The live stream of <c>zbridge demo --publish</c>: a publisher and the demo's <see cref="LiveFeed"/> on the host.</summary>
internal static class DemoStream
{
    public const string DefaultEndpoint = "tcp://127.0.0.1:5556";

    public static ZeroBridgePublisherOptions Add(IServiceCollection services, SampleDatabase database, string? endpoint, string? snapshot,
        int ticksPerSecond, ZeroBridgeCertificate? keyPair, bool insecure, bool? encryptPayloads, AllowList? allowList)
    {
        endpoint ??= DefaultEndpoint;
        var options = ZeroBridgePublisherOptions.Default with
        {
            Endpoint = endpoint,
            SnapshotEndpoint = snapshot ?? NextPort(endpoint),
            Name = "zbridge-demo",
            Certificate = keyPair, // every endpoint of the demo uses the one key pair it was given
            Insecure = insecure,
            EncryptPayloads = encryptPayloads,
            AllowList = allowList, // encrypts unless --encrypt-payloads false: topic keys only for proved keys whose topics permit them
        };
        // The command line decides the stream; the connection limits come from configuration, as the server's do
        // (ZeroBridge__Publisher__ConnectionLimits__HandshakeTimeout=...).
        services.AddZeroBridgePublisher(bound => options with { ConnectionLimits = bound.ConnectionLimits });
        services.AddHostedService(provider => new LiveFeed(provider.GetRequiredService<ZeroBridgePublisher>(), database)
        {
            TicksPerSecond = ticksPerSecond,
        });
        return options;
    }

    public static void PrintBanner(IServiceProvider services, ZeroBridgePublisherOptions options)
    {
        var publisher = services.GetRequiredService<ZeroBridgePublisher>();
        // Z85 has no quote characters: the key is safe inside Python's double quotes and the shell's single ones.
        var keys = options.Certificate is not { PublicKey: var key } ? ("", "") : ($", server_key=\"{key}\"", $" --server-key '{key}'");
        if (options.AllowList is not null) // the topic keys go only to keys that proved themselves
            keys = ($"{keys.Item1}, cert=\"NAME.key_secret\"", $"{keys.Item2} --cert NAME.key_secret");
        if (options.EncryptsPayloads) // the topic keys come from the snapshot endpoint
            keys = ($", snapshot=\"{publisher.SnapshotEndpoint}\"{keys.Item1}", $" --snapshot {publisher.SnapshotEndpoint}{keys.Item2}");
        Console.WriteLine($$$"""
            Publishing on {{{publisher.Endpoint}}} (snapshots on {{{publisher.SnapshotEndpoint}}}): topics prices.ACME, prices.GLOBEX, ..., orders.new

                for m in zerobridge.subscribe("{{{publisher.Endpoint}}}", "orders.", timeout=10{{{keys.Item1}}}): print(m.topic, m.value)
                ./zbridge sub {{{publisher.Endpoint}}} prices.{{{keys.Item2}}}

            """);
    }

    /// <summary>The same endpoint one port up (<c>*</c> stays <c>*</c>).</summary>
    private static string NextPort(string endpoint)
    {
        int colon = endpoint.LastIndexOf(':');
        return colon > 0 && int.TryParse(endpoint[(colon + 1)..], out int port) ? $"{endpoint[..colon]}:{port + 1}" : endpoint;
    }
}
