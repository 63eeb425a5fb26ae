using ZeroBridge.Commands;
using ZeroBridge.Majordomo;
using ZeroBridge.Server;
using ZeroBridge.Streams;
using ZeroBridge.Tasks;
using ZeroBridge.Transport;

namespace ZeroBridge.Tests.Fixtures;

/// <summary>
/// Starts any of the components that bind (server, broker, publisher, task producer) on an ephemeral loopback port,
/// with a <see cref="ListLogger"/>: for the tests every bound endpoint must pass alike.
/// </summary>
internal static class BoundComponent
{
    /// <summary>The names <see cref="StartAsync"/> takes, as the components call themselves in their log lines.</summary>
    public static TheoryData<string> Names => new() { "Server", "Broker", "Publisher", "Task producer" };

    /// <summary>Starts <paramref name="component"/> with <paramref name="limits"/> (default: the defaults).</summary>
    public static async Task<(IAsyncDisposable Running, string Endpoint, ListLogger Log)> StartAsync(string component, ConnectionLimits? limits = null)
    {
        const string any = "tcp://127.0.0.1:*";
        limits ??= ConnectionLimits.Default;
        switch (component)
        {
            case "Server":
            {
                var log = new ListLogger<ZeroBridgeServer>();
                var server = new ZeroBridgeServer(new CommandRegistry(),
                    ZeroBridgeServerOptions.Default with { Endpoint = any, ConnectionLimits = limits }, log);
                await server.StartAsync();
                return (server, server.Endpoint, log);
            }
            case "Broker":
            {
                var log = new ListLogger<ZeroBridgeBroker>();
                var broker = new ZeroBridgeBroker(ZeroBridgeBrokerOptions.Default with { Endpoint = any, ConnectionLimits = limits }, log);
                await broker.StartAsync();
                return (broker, broker.Endpoint, log);
            }
            case "Publisher":
            {
                var log = new ListLogger<ZeroBridgePublisher>();
                var publisher = new ZeroBridgePublisher(
                    ZeroBridgePublisherOptions.Default with { Endpoint = any, SnapshotEndpoint = null, ConnectionLimits = limits }, log);
                await publisher.StartAsync();
                return (publisher, publisher.Endpoint, log);
            }
            case "Task producer":
            {
                var log = new ListLogger<ZeroBridgeTaskProducer>();
                var producer = new ZeroBridgeTaskProducer(
                    ZeroBridgeTaskProducerOptions.Default with { Endpoint = any, ConnectionLimits = limits }, log);
                await producer.StartAsync();
                return (producer, producer.Endpoint, log);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(component), component, "not a component that binds");
        }
    }

    /// <summary>The TCP port of a ZeroMQ endpoint such as <c>tcp://127.0.0.1:40123</c>.</summary>
    public static int PortOf(string endpoint) => new Uri(endpoint.Replace("tcp://", "http://")).Port;
}
