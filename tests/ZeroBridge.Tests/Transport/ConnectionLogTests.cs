using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
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

    [Theory]
    [MemberData(nameof(BoundComponent.Names), MemberType = typeof(BoundComponent))]
    public async Task A_connection_is_logged_with_the_peer_address_when_it_opens_and_when_it_closes(string component)
    {
        var (running, endpoint, log) = await BoundComponent.StartAsync(component);
        await using var _ = running;
        using var peer = new TcpClient(AddressFamily.InterNetwork);
        await peer.ConnectAsync(IPAddress.Loopback, BoundComponent.PortOf(endpoint));
        string from = $"{component}: connection from {(IPEndPoint)peer.Client.LocalEndPoint!}";

        Assert.True(await log.WaitUntilAsync(lines => lines.Any(l => l.StartsWith(from + " accepted")), Wait),
            $"no line '{from} accepted'; logged: {string.Join(" | ", log.Lines)}");
        Assert.Contains(log.Entries, e => e.Id.Id == 1010 && e.Id.Name == "ConnectionAccepted" && e.Line.StartsWith(from));

        peer.Close();

        Assert.True(await log.WaitUntilAsync(lines => lines.Any(l => l.StartsWith(from + " closed after")), Wait),
            $"no line '{from} closed after'; logged: {string.Join(" | ", log.Lines)}");
        Assert.Contains(log.Entries, e => e.Id.Id == 1011 && e.Level == LogLevel.Information && e.Line.StartsWith(from));
    }
}
