using System.Net;
using AsyncIO;
using Microsoft.Extensions.Logging;

namespace ZeroBridge.Transport;

/// <summary>
/// Logs the network address of every peer that connects to a bound socket, and when it leaves, as its
/// <see cref="ConnectionWatch"/> reports them: NetMQ's socket monitor is the one place NetMQ reveals a peer's
/// address (its messages and routing ids never carry it).
/// </summary>
/// <remarks>
/// <para>The events arrive on the component's socket thread, so the table of open connections needs no lock. A
/// closed connection's socket can no longer say whom it was connected to, which is why the address is kept from its
/// acceptance.</para>
/// <para>ZeroMQ gives no link between a connection and the routing id its messages arrive under, so these lines
/// stand beside the component's per-message lines (which name the routing id), not inside them.</para>
/// </remarks>
internal sealed class ConnectionLog(ILogger logger, string component)
{
    private readonly Dictionary<AsyncSocket, Opened> _open = new(ReferenceEqualityComparer.Instance);
    private int _openCount;

    /// <summary>The component's name in its log lines (Server, Broker, ...).</summary>
    public string Component => component;

    /// <summary>How many connections are open now (any thread).</summary>
    public int OpenCount => Volatile.Read(ref _openCount);

    /// <summary>
    /// Logs a connection the socket accepted and returns its peer's address. NetMQ's monitor hands over no socket
    /// (null) when the connection is gone by the time the event is read: a peer that connected and left while the
    /// component's thread was busy. It is logged without an address, never thrown.
    /// </summary>
    public string Accepted(AsyncSocket? socket)
    {
        var peer = socket is null ? "an address already gone" : AddressOf(socket);
        if (socket is not null)
            _open[socket] = new Opened(peer, Environment.TickCount64);
        Volatile.Write(ref _openCount, _open.Count);
        TransportLog.ConnectionAccepted(logger, component, peer, _open.Count);
        return peer;
    }

    /// <summary>Logs a connection that closed, with how long it was open.</summary>
    public void Closed(AsyncSocket socket)
    {
        if (!_open.Remove(socket, out var opened))
            return; // a connection accepted before the watch began
        Volatile.Write(ref _openCount, _open.Count);
        var lifetime = TimeSpan.FromMilliseconds(Environment.TickCount64 - opened.AtTicks);
        TransportLog.ConnectionClosed(logger, component, opened.Peer, lifetime.TotalSeconds, _open.Count);
    }

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
