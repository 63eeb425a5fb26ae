using AsyncIO;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Monitoring;

namespace ZeroBridge.Transport;

/// <summary>
/// Follows the TCP connections of one bound socket through NetMQ's socket monitor, on the component's socket thread,
/// and hands each acceptance and close to the <see cref="ConnectionLog"/> (which logs and counts them) and the
/// <see cref="ConnectionGuard"/> (which holds them to the component's <see cref="ConnectionLimits"/>).
/// </summary>
internal sealed class ConnectionWatch : IDisposable
{
    private readonly ConnectionLog _log;
    private readonly ConnectionGuard? _guard;

    private ConnectionWatch(ConnectionLog log, ConnectionGuard? guard, string endpoint)
    {
        _log = log;
        _guard = guard;
        Endpoint = endpoint;
    }

    /// <summary>The watches of the components running now (for the <c>zerobridge.connections*</c> metrics).</summary>
    public static RunningComponents<ConnectionWatch> Running { get; } = new();

    /// <summary>The component's name in its log lines (Server, Broker, ...).</summary>
    public string Component => _log.Component;

    /// <summary>The endpoint the watched socket is bound to.</summary>
    public string Endpoint { get; }

    /// <summary>How many connections are open now (any thread).</summary>
    public int OpenCount => _log.OpenCount;

    /// <summary>How many connections were closed for not finishing the handshake in time (any thread).</summary>
    public long HandshakeTimeouts => _guard?.HandshakeTimeouts ?? 0;

    /// <summary>How many connections were closed for not reading what waited for them (any thread).</summary>
    public long NotReadingClosures => _guard?.NotReading ?? 0;

    /// <summary>
    /// Watches <paramref name="socket"/>, which <paramref name="loop"/> polls: logs its peers' connections as
    /// <paramref name="component"/> (the name the component's other log lines use) and holds them to
    /// <paramref name="limits"/>. Call right after the bind, before the loop starts.
    /// </summary>
    public static ConnectionWatch Start(SocketLoop loop, NetMQSocket socket, ConnectionLimits limits, ILogger logger, string component)
    {
        var watch = new ConnectionWatch(new ConnectionLog(logger, component), ConnectionGuard.Start(loop, socket, limits, logger, component),
            socket.Options.LastEndpoint ?? "");
        Running.Add(watch);
        loop.DisposeWith(watch);
        // Only these three events: NetMQ's monitor throws on the poller thread for an event it has no handler for.
        var monitor = loop.Monitor(socket, SocketEvents.Accepted | SocketEvents.AcceptFailed | SocketEvents.Disconnected);
        monitor.Accepted += (_, e) => watch.OnAccepted(e.Socket);
        monitor.Disconnected += (_, e) => watch.OnDisconnected(e.Socket);
        monitor.AcceptFailed += (_, e) => TransportLog.AcceptFailed(logger, component, e.Address, e.ErrorCode);
        return watch;
    }

    /// <summary>Stops counting this component's connections (its loop is gone).</summary>
    public void Dispose() => Running.Remove(this);

    private void OnAccepted(AsyncSocket? socket)
    {
        string peer = _log.Accepted(socket);
        if (socket is not null)
            _guard?.Accepted(socket, peer);
    }

    private void OnDisconnected(AsyncSocket? socket)
    {
        if (socket is null)
            return; // gone before the event was read: then its acceptance came without a socket too
        _log.Closed(socket);
        _guard?.Closed(socket);
    }
}
