using System.Net.Sockets;
using AsyncIO;
using Microsoft.Extensions.Logging;

namespace ZeroBridge.Transport;

/// <summary>
/// Enforces a bound socket's <see cref="ConnectionLimits"/>: on the component's own socket thread, every
/// <see cref="ConnectionLimits.CheckInterval"/>, it reads each accepted connection's kernel counters and shuts down
/// the connections whose peers never finished the ZeroMQ handshake or stopped reading what waits for them.
/// </summary>
/// <remarks>
/// NetMQ has no handshake timeout and no per-connection view of its queues; the kernel's counters are the one
/// place that knows both what a connection's peer has sent and what it has taken. A shut-down connection is closed
/// by NetMQ itself, which drops its queue and reports it to the <see cref="ConnectionLog"/> like any other.
/// </remarks>
internal sealed class ConnectionGuard
{
    private readonly Dictionary<AsyncSocket, Watched> _watched = new(ReferenceEqualityComparer.Instance);
    private readonly List<AsyncSocket> _gone = [];
    private bool _reclaimAtNextCheck;
    private readonly ConnectionLimits _limits;
    private readonly int _handshakeBytes;
    private readonly ILogger _logger;
    private readonly string _component;
    private long _handshakeTimeouts;
    private long _notReading;

    private ConnectionGuard(ConnectionLimits limits, bool curve, ILogger logger, string component)
    {
        _limits = limits;
        _handshakeBytes = curve ? ConnectionProgress.CurveHandshakeBytes : ConnectionProgress.NullHandshakeBytes;
        _logger = logger;
        _component = component;
    }

    /// <summary>
    /// Starts guarding <paramref name="socket"/>'s connections on <paramref name="loop"/> with
    /// <paramref name="limits"/>; null when there is nothing to enforce, or it cannot be enforced here (logged).
    /// </summary>
    public static ConnectionGuard? Start(SocketLoop loop, NetMQ.NetMQSocket socket, ConnectionLimits limits, ILogger logger, string component)
    {
        if (!limits.LimitsHandshake && !limits.LimitsReading)
            return null;
        if (!AcceptedSockets.IsReachable || !TcpConnectionInfo.IsReliable)
        {
            TransportLog.ConnectionLimitsUnavailable(logger, component);
            return null;
        }
        var guard = new ConnectionGuard(limits, socket.Options.CurveServer, logger, component);
        loop.Every(limits.CheckInterval, guard.Check);
        return guard;
    }

    /// <summary>How many connections were closed for not finishing the handshake in time (any thread).</summary>
    public long HandshakeTimeouts => Interlocked.Read(ref _handshakeTimeouts);

    /// <summary>How many connections were closed for not reading (any thread).</summary>
    public long NotReading => Interlocked.Read(ref _notReading);

    /// <summary>Starts watching a connection the socket accepted (on the loop's thread).</summary>
    public void Accepted(AsyncSocket connection, string peer)
    {
        if (AcceptedSockets.SocketOf(connection) is { } socket)
            _watched[connection] = new Watched(socket, peer, new ConnectionProgress(Environment.TickCount64));
    }

    /// <summary>Stops watching a connection that closed (on the loop's thread).</summary>
    public void Closed(AsyncSocket connection)
    {
        if (_watched.Remove(connection, out var watched) && watched.Verdict == ConnectionVerdict.NotReading)
            _reclaimAtNextCheck = true; // NetMQ is dropping its queue now; by the next check the replies are garbage
    }

    private void Check()
    {
        // Set at an earlier check or close, so NetMQ has had a whole interval to drop the queue; asked again at each
        // check while another collection was too recent.
        if (_reclaimAtNextCheck)
            _reclaimAtNextCheck = !MemoryReclaim.Request();
        long now = Environment.TickCount64;
        foreach (var (connection, watched) in _watched)
        {
            // NetMQ disposes a connection's socket when it has closed it: one whose counters cannot be read is gone,
            // even if its close event has not been read yet.
            if (!TcpConnectionInfo.TryRead(watched.Socket, out var info))
            {
                _gone.Add(connection);
                continue;
            }
            if (watched.Verdict != ConnectionVerdict.Keep)
                continue; // aborted already; NetMQ is closing it
            watched.Verdict = watched.Progress.Judge(info, now, _limits, _handshakeBytes);
            if (watched.Verdict == ConnectionVerdict.Keep)
                continue;
            AcceptedSockets.Abort(watched.Socket);
            if (watched.Verdict == ConnectionVerdict.HandshakeTimedOut)
            {
                Interlocked.Increment(ref _handshakeTimeouts);
                TransportLog.HandshakeTimedOut(_logger, _component, watched.Peer, _limits.HandshakeTimeout.TotalSeconds, info.BytesReceived);
            }
            else
            {
                Interlocked.Increment(ref _notReading);
                TransportLog.PeerNotReading(_logger, _component, watched.Peer, _limits.ReadGracePeriod.TotalSeconds, _limits.MinimumReadBytesPerSecond);
            }
        }
        foreach (var connection in _gone)
            Closed(connection);
        _gone.Clear();
    }

    /// <summary>A connection under watch: what is judged, and the verdict once it is not <c>Keep</c>.</summary>
    private sealed class Watched(Socket socket, string peer, ConnectionProgress progress)
    {
        public Socket Socket { get; } = socket;
        public string Peer { get; } = peer;
        public ConnectionProgress Progress { get; } = progress;
        public ConnectionVerdict Verdict { get; set; }
    }
}
