using System.Net;
using System.Net.Sockets;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Security;
using ZeroBridge.Server;
using ZeroBridge.Tests.Fixtures;
using ZeroBridge.Tests.Security;
using ZeroBridge.Transport;

namespace ZeroBridge.Tests.Transport;

/// <summary>
/// Every component that binds closes connections that never finish the ZeroMQ handshake, and connections whose peers
/// stop reading what waits for them, and keeps every other connection however quiet it is (issue 12, items 9 and 11).
/// The limits are short here so the tests are quick; the waits are for the component's own log line, never a sleep.
/// </summary>
public sealed class ConnectionLimitsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly ConnectionLimits QuickHandshake = ConnectionLimits.Default with { HandshakeTimeout = TimeSpan.FromMilliseconds(300) };

    /// <summary>For tests with real clients: their handshakes (CURVE's, with the server's first-use JIT) must fit.</summary>
    private static readonly ConnectionLimits ShortHandshake = ConnectionLimits.Default with { HandshakeTimeout = TimeSpan.FromSeconds(3) };

    /// <summary>The first 10 bytes of a ZMTP 3 greeting (its signature): a peer that starts the handshake and stops.</summary>
    private static readonly byte[] GreetingSignature = [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F];

    public static TheoryData<string, bool> ComponentsAndWhatThePeerSends()
    {
        var data = new TheoryData<string, bool>();
        foreach (string component in new[] { "Server", "Broker", "Publisher", "Task producer" })
        {
            data.Add(component, false);
            data.Add(component, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ComponentsAndWhatThePeerSends))]
    public async Task A_connection_that_never_finishes_the_handshake_is_closed(string component, bool sendsPartOfTheGreeting)
    {
        var (running, endpoint, log) = await BoundComponent.StartAsync(component, QuickHandshake);
        await using var _ = running;
        using var peer = new TcpClient(AddressFamily.InterNetwork);
        await peer.ConnectAsync(IPAddress.Loopback, BoundComponent.PortOf(endpoint));
        if (sendsPartOfTheGreeting)
            await peer.GetStream().WriteAsync(GreetingSignature);

        Assert.True(await ClosedByThePeerAsync(peer), $"{component} kept a connection that never finished its handshake");
        string from = $"{component}: closed the connection from {(IPEndPoint)peer.Client.LocalEndPoint!}";
        Assert.True(await log.WaitUntilAsync(lines => lines.Any(l => l.StartsWith(from, StringComparison.Ordinal)), Wait),
            $"no line '{from}'; logged: {string.Join(" | ", log.Lines)}");
        Assert.Contains(log.Entries, e => e.Id.Id == 1013 && e.Id.Name == "HandshakeTimedOut" && e.Line.StartsWith(from, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_finished_the_handshake_stays_connected_however_long_it_is_silent(bool curve)
    {
        var serverKeys = ZeroBridgeCertificate.Generate();
        var log = new ListLogger<ZeroBridgeServer>();
        await using var server = new ZeroBridgeServer(new CommandRegistry().Add("add", (int a, int b) => a + b), ZeroBridgeServerOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            Certificate = curve ? serverKeys : null,
            ConnectionLimits = ShortHandshake,
        }, log);
        await server.StartAsync();
        using var client = new ZeroBridgeClient(server.Endpoint, ZeroBridgeClientOptions.Default with
        {
            Timeout = Wait,
            ServerKey = curve ? serverKeys.PublicKey : null,
            Certificate = curve ? ZeroBridgeCertificate.Generate() : null,
        });
        Assert.Equal(3, await client.CallAsync<int>("add", new { a = 1, b = 2 })); // the client's handshake is done

        // A silent peer connected after the client is closed once its handshake time is up; by then the client's,
        // which began earlier, is up too.
        using var silent = new TcpClient(AddressFamily.InterNetwork);
        await silent.ConnectAsync(IPAddress.Loopback, BoundComponent.PortOf(server.Endpoint));
        Assert.True(await ClosedByThePeerAsync(silent), "the silent peer was not closed");

        Assert.Equal(7, await client.CallAsync<int>("add", new { a = 3, b = 4 }));
        string closed = Assert.Single(log.Entries, e => e.Id.Id is 1013 or 1014).Line; // the silent peer's, not the client's
        Assert.StartsWith($"Server: closed the connection from {(IPEndPoint)silent.Client.LocalEndPoint!}:", closed);
    }

    [Fact]
    public async Task A_client_that_stops_reading_its_replies_is_closed_its_replies_memory_reclaimed_and_the_server_serves_on()
    {
        var log = new ListLogger<ZeroBridgeServer>();
        var block = new byte[1024 * 1024];
        await using var server = new ZeroBridgeServer(
            new CommandRegistry().Add("big", () => block).Add("add", (int a, int b) => a + b),
            ZeroBridgeServerOptions.Default with
            {
                Endpoint = "tcp://127.0.0.1:*",
                ConnectionLimits = ConnectionLimits.Default with { ReadGracePeriod = TimeSpan.FromMilliseconds(500) },
            }, log);
        await server.StartAsync();

        var reclaimed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Action onReclaim = () => reclaimed.TrySetResult();
        MemoryReclaim.Requested += onReclaim;

        // A peer that asks for 64 MiB of replies and takes one message at most: the rest waits in the server, beyond
        // what the TCP buffers hold.
        using var greedy = new DealerSocket();
        greedy.Options.Linger = TimeSpan.Zero;
        greedy.Options.ReceiveHighWatermark = 1;
        greedy.Connect(server.Endpoint);
        for (int id = 1; id <= 64; id++)
            greedy.SendMultipartMessage(RawBridgeSocket.Request(id, "big", []));

        // The server says it closed the peer for not reading, and then NetMQ reports the connection gone (its queue
        // with it): nothing else in this test ends a connection.
        Assert.True(await log.WaitUntilAsync(lines => lines.SkipWhile(l => !l.Contains("it read less than 240 bytes/s", StringComparison.Ordinal))
            .Any(l => l.StartsWith("Server: connection from ", StringComparison.Ordinal) && l.Contains(" closed after ", StringComparison.Ordinal)), Wait),
            $"the reader was not closed; logged: {string.Join(" | ", log.Lines)}");
        Assert.Contains(log.Entries, e => e.Id.Id == 1014 && e.Id.Name == "PeerNotReading");
        // The dropped replies' memory goes back to the system: a collection is asked for once NetMQ dropped them
        // (at most one per 10 s in the process, so this may wait for another test's).
        await reclaimed.Task.WaitAsync(Wait);
        MemoryReclaim.Requested -= onReclaim;

        using var other = new ZeroBridgeClient(server.Endpoint, ZeroBridgeClientOptions.Default with { Timeout = Wait });
        Assert.Equal(5, await other.CallAsync<int>("add", new { a = 2, b = 3 }));
    }

    /// <summary>Reads until the other side closes the connection (true) or <see cref="Wait"/> passes (false).</summary>
    private static async Task<bool> ClosedByThePeerAsync(TcpClient peer)
    {
        using var deadline = new CancellationTokenSource(Wait);
        var buffer = new byte[4096];
        try
        {
            while (await peer.GetStream().ReadAsync(buffer, deadline.Token) > 0)
            {
                // the component's half of the greeting: read past it
            }
            return true;
        }
        catch (IOException)
        {
            return true; // reset rather than closed
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
