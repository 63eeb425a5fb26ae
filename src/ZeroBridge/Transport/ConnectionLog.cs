using System.Net;
using AsyncIO;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Monitoring;

namespace ZeroBridge.Transport;

/// <summary>
/// Logs the network address of every peer that connects to a bound socket, and when it leaves, from NetMQ's socket
/// monitor: the one place NetMQ reveals a peer's address (its messages and routing ids never carry it).
/// </summary>
/// <remarks>
/// <para>The monitor's events arrive on the component's socket thread, so the table of open connections needs no
/// lock. A closed connection's socket can no longer say whom it was connected to, which is why the address is kept
/// from its acceptance.</para>
/// <para>ZeroMQ gives no link between a connection and the routing id its messages arrive under, so these lines
/// stand beside the component's per-message lines (which name the routing id), not inside them.</para>
/// </remarks>
internal sealed class ConnectionLog : IDisposable
{
    private readonly ILogger _logger;
    private ConnectionGuard? _guard;
    private readonly Dictionary<AsyncSocket, Opened> _open = new(ReferenceEqualityComparer.Instance);
    private int _openCount;

    private ConnectionLog(ILogger logger, string component, string endpoint)
    {
        _logger = logger;
        Component = component;
        Endpoint = endpoint;
    }

    /// <summary>The connection logs of the components running now (for the <c>zerobridge.connections</c> metric).</summary>
    public static RunningComponents<ConnectionLog> Running { get; } = new();

    /// <summary>The component's name in its log lines (Server, Broker, ...).</summary>
    public string Component { get; }

    /// <summary>The endpoint the watched socket is bound to.</summary>
    public string Endpoint { get; }

    /// <summary>How many connections are open now (any thread).</summary>
    public int OpenCount => Volatile.Read(ref _openCount);

    /// <summary>How many connections were closed for taking longer than the handshake timeout (any thread).</summary>
    public long HandshakeTimeouts => _guard?.HandshakeTimeouts ?? 0;

    /// <summary>How many connections were closed for not reading what waited for them (any thread).</summary>
    public long NotReadingClosures => _guard?.NotReading ?? 0;

    /// <summary>
    /// Watches <paramref name="socket"/>, which <paramref name="loop"/> polls, logs its peers' connections as
    /// <paramref name="component"/> (the name the component's other log lines use), and holds them to
    /// <paramref name="limits"/>. Call before the loop starts.
    /// </summary>
    public static ConnectionLog Watch(SocketLoop loop, NetMQSocket socket, ConnectionLimits limits, ILogger logger, string component)
    {
        var log = new ConnectionLog(logger, component, socket.Options.LastEndpoint ?? "");
        log._guard = ConnectionGuard.Start(loop, socket, limits, logger, component);
        Running.Add(log);
        loop.DisposeWith(log);
        // Only these three events: NetMQ's monitor throws on the poller thread for an event it has no handler for.
        var monitor = loop.Monitor(socket, SocketEvents.Accepted | SocketEvents.AcceptFailed | SocketEvents.Disconnected);
        monitor.Accepted += (_, e) => log.OnAccepted(e.Socket);
        monitor.Disconnected += (_, e) => log.OnDisconnected(e.Socket);
        monitor.AcceptFailed += (_, e) => TransportLog.AcceptFailed(logger, component, e.Address, e.ErrorCode);
        return log;
    }

    // NetMQ's monitor hands over no socket (null) when the connection is gone by the time the event is read: a peer
    // that connected and left while the component's thread was busy. It is logged without an address, never thrown.
    private void OnAccepted(AsyncSocket? socket)
    {
        var peer = socket is null ? "an address already gone" : AddressOf(socket);
        if (socket is not null)
        {
            _open[socket] = new Opened(peer, Environment.TickCount64);
            _guard?.Accepted(socket, peer);
        }
        Volatile.Write(ref _openCount, _open.Count);
        TransportLog.ConnectionAccepted(_logger, Component, peer, _open.Count);
    }

    private void OnDisconnected(AsyncSocket? socket)
    {
        if (socket is null || !_open.Remove(socket, out var opened))
            return; // a connection accepted before the watch began
        _guard?.Closed(socket);
        Volatile.Write(ref _openCount, _open.Count);
        var lifetime = TimeSpan.FromMilliseconds(Environment.TickCount64 - opened.AtTicks);
        TransportLog.ConnectionClosed(_logger, Component, opened.Peer, lifetime.TotalSeconds, _open.Count);
    }

    /// <summary>Stops counting this component's connections (its loop is gone).</summary>
    public void Dispose() => Running.Remove(this);

    private static string AddressOf(AsyncSocket socket)
    {
        try
        {
            return socket.RemoteEndPoint is IPEndPoint endpoint ? endpoint.ToString() : "an unknown address";
        }
        catch (Exception ex) when (ex is ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            return "an address already gone"; // the peer left before the event was read
        }
    }

    private readonly record struct Opened(string Peer, long AtTicks);
}
