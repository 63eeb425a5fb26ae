using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ZeroBridge.Commands;
using ZeroBridge.Majordomo;
using ZeroBridge.Server;
using ZeroBridge.Streams;
using ZeroBridge.Tasks;
using ZeroBridge.Tests.Fixtures;

namespace ZeroBridge.Tests.Transport;

/// <summary>
/// Every component that binds names each peer's network address in its log when the peer connects and when it goes
/// (event ids 1010 and 1011), even a peer that never speaks ZeroMQ: routing ids alone do not tell an operator who
/// is connected.
/// </summary>
public sealed class ConnectionLogTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public static TheoryData<string> Components => new() { "Server", "Broker", "Publisher", "Task producer" };

    [Theory]
    [MemberData(nameof(Components))]
    public async Task A_connection_is_logged_with_the_peer_address_when_it_opens_and_when_it_closes(string component)
    {
        var (running, endpoint, log) = await StartAsync(component);
        await using var _ = running;
        using var peer = new TcpClient(AddressFamily.InterNetwork);
        var address = new Uri(endpoint.Replace("tcp://", "http://"));
        await peer.ConnectAsync(IPAddress.Loopback, address.Port);
        string from = $"{component}: connection from {(IPEndPoint)peer.Client.LocalEndPoint!}";

        Assert.True(await log.WaitUntilAsync(lines => lines.Any(l => l.StartsWith(from + " accepted")), Wait),
            $"no line '{from} accepted'; logged: {string.Join(" | ", log.Lines)}");
        Assert.Contains(log.Entries, e => e.Id.Id == 1010 && e.Id.Name == "ConnectionAccepted" && e.Line.StartsWith(from));

        peer.Close();

        Assert.True(await log.WaitUntilAsync(lines => lines.Any(l => l.StartsWith(from + " closed after")), Wait),
            $"no line '{from} closed after'; logged: {string.Join(" | ", log.Lines)}");
        Assert.Contains(log.Entries, e => e.Id.Id == 1011 && e.Level == LogLevel.Information && e.Line.StartsWith(from));
    }

    private static async Task<(IAsyncDisposable Running, string Endpoint, ListLogger Log)> StartAsync(string component)
    {
        const string any = "tcp://127.0.0.1:*";
        switch (component)
        {
            case "Server":
            {
                var log = new ListLogger<ZeroBridgeServer>();
                var server = new ZeroBridgeServer(new CommandRegistry(), ZeroBridgeServerOptions.Default with { Endpoint = any }, log);
                await server.StartAsync();
                return (server, server.Endpoint, log);
            }
            case "Broker":
            {
                var log = new ListLogger<ZeroBridgeBroker>();
                var broker = new ZeroBridgeBroker(ZeroBridgeBrokerOptions.Default with { Endpoint = any }, log);
                await broker.StartAsync();
                return (broker, broker.Endpoint, log);
            }
            case "Publisher":
            {
                var log = new ListLogger<ZeroBridgePublisher>();
                var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with { Endpoint = any, SnapshotEndpoint = null }, log);
                await publisher.StartAsync();
                return (publisher, publisher.Endpoint, log);
            }
            default:
            {
                var log = new ListLogger<ZeroBridgeTaskProducer>();
                var producer = new ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions.Default with { Endpoint = any }, log);
                await producer.StartAsync();
                return (producer, producer.Endpoint, log);
            }
        }
    }
}
