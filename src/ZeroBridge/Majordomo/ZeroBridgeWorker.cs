using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Commands;
using ZeroBridge.Execution;
using ZeroBridge.Protocol;
using ZeroBridge.Security;
using static ZeroBridge.Protocol.Majordomo;
using ZeroBridge.Transport;

namespace ZeroBridge.Majordomo;

/// <summary>
/// Serves a <see cref="CommandRegistry"/> as one service of a Majordomo broker (7/MDP worker, docs/protocol.md §9),
/// with the same executor as the direct server: a client calls <c>orders.recent</c> the same way on either route.
/// </summary>
/// <remarks>
/// <para>The sockets live on one background thread; commands run on the thread pool, so heartbeats keep flowing
/// while a long command runs and the broker never mistakes a busy worker for a dead one.</para>
/// <para>When the broker goes silent for <see cref="ZeroBridgeWorkerOptions.HeartbeatInterval"/> ×
/// <see cref="ZeroBridgeWorkerOptions.HeartbeatLiveness"/>, or says DISCONNECT (as a restarted broker does to a worker
/// it does not know), the worker opens a new socket and registers again, waiting longer between attempts while the
/// broker stays away.</para>
/// <para>Commands marked idempotent (<see cref="IdempotentAttribute"/>) are declared to the broker after READY
/// (<c>mmi.idempotent</c>), so it can re-send them to another worker if this one dies while running them.</para>
/// </remarks>
public sealed class ZeroBridgeWorker : IZeroBridgeComponent
{
    private readonly CommandRegistry _commands;
    private readonly ZeroBridgeWorkerOptions _options;
    private readonly ILogger _logger;
    private readonly ReceiveFaults _receiveFaults;
    private readonly CommandExecutor _executor;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SocketLoop _loop = new();
    private readonly NetMQQueue<(Connection Connection, int Generation, byte[] Client, List<byte[]> Body)> _replies;
    private readonly Connection[] _connections;
    private readonly byte[] _serviceBytes;
    private readonly DealerProof? _proof; // with a certificate: the proof of this worker's key before READY (docs/protocol.md §15.4)
    private readonly RunningRequests _running = new();
    private long _registrations;
    private int _state; // ComponentState

    /// <summary>Creates a worker for <paramref name="service"/>; call <see cref="StartAsync"/> to connect and register.</summary>
    public ZeroBridgeWorker(CommandRegistry commands, string brokerEndpoint, string service,
        ZeroBridgeWorkerOptions? options = null, ILogger<ZeroBridgeWorker>? logger = null)
    {
        if (string.IsNullOrEmpty(service) || service.StartsWith(ManagementPrefix, StringComparison.Ordinal))
            throw new ArgumentException($"'{service}' cannot be a service name: it is empty or in the broker's reserved 'mmi.' namespace.", nameof(service));
        _commands = commands;
        _options = options ?? ZeroBridgeWorkerOptions.Default;
        if (_options.Concurrency < 1)
            throw new ArgumentException("Concurrency must be at least 1.", nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _receiveFaults = new ReceiveFaults(_logger, "Worker");
        _executor = new CommandExecutor(commands, CommandExecutorOptions.Default with { IncludeStackTraces = _options.IncludeStackTraces, Route = "worker" }, _logger);
        BrokerEndpoint = brokerEndpoint;
        Service = service;
        _serviceBytes = Encoding.UTF8.GetBytes(service);
        if (_options is { Certificate: { } certificate, ServerKey: { } serverKey })
            _proof = new DealerProof(serverKey, certificate, service, Expiry);
        _connections = Enumerable.Range(0, _options.Concurrency).Select(i => new Connection(i)).ToArray();
        _replies = _loop.Queue<(Connection, int, byte[], List<byte[]>)>(SendReply);
    }

    /// <summary>The broker this worker connects to.</summary>
    public string BrokerEndpoint { get; }

    /// <summary>The service this worker offers.</summary>
    public string Service { get; }

    /// <summary>How many times a connection sent READY (one per connection at start, more after reconnections).</summary>
    public long Registrations => Interlocked.Read(ref _registrations);

    /// <summary>How many requests are running right now.</summary>
    public int RequestsInFlight => _running.Count;

    /// <summary>Whether the worker was started and not stopped.</summary>
    public bool IsRunning => Volatile.Read(ref _state) == ComponentState.Started;

    /// <summary>
    /// Its connections to the broker now: how many are registered and heard from within the liveness window. Safe
    /// from any thread; the worker's health check reports it.
    /// </summary>
    public WorkerStatus Status
    {
        get
        {
            var now = DateTime.UtcNow;
            var heard = _connections.Select(c => c.LastHeard).Where(t => t is not null).Select(t => t!.Value).ToList();
            int connected = _connections.Count(c => c.Registered && c.LastHeard is { } last && now - last <= Expiry);
            TimeSpan? since = heard.Count == 0 ? null : now - heard.Max();
            return new WorkerStatus(IsRunning, _connections.Length, connected, since, Expiry);
        }
    }

    /// <summary>Connects to the broker and registers; returns at once (ZeroMQ connects in the background).</summary>
    /// <exception cref="InvalidOperationException">The worker was already started or stopped.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, ComponentState.Started, ComponentState.New) != ComponentState.New)
            throw new InvalidOperationException("A ZeroBridgeWorker starts once.");
        if (TrustedEndpointGuard.Violation(_commands, BrokerEndpoint, "offer", authenticated: false) is { } refusal)
        {
            Volatile.Write(ref _state, ComponentState.New); // nothing started
            throw new ZeroBridgeException(refusal); // clients of any broker elsewhere could reach them
        }
        _loop.Every(TimeSpan.FromMilliseconds(50), OnTick);
        ThreadPoolHeadroom.Reserve(_connections.Length, _logger);
        foreach (var connection in _connections)
            Connect(connection);
        _loop.Start($"ZeroBridge worker {Service}@{BrokerEndpoint}");
        MajordomoLog.WorkerJoining(_logger, Service, BrokerEndpoint, _connections.Length);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Leaves the broker: lets running commands finish for up to <see cref="ZeroBridgeWorkerOptions.ShutdownTimeout"/>
    /// (then cancels them), sends their replies, says DISCONNECT and closes the sockets.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!ComponentState.BeginStop(ref _state, _loop))
            return;
        await _running.WaitIdleAsync(_options.ShutdownTimeout, cancellationToken).ConfigureAwait(false);
        _stopping.Cancel(); // the rest are cancelled, and still reply
        await _running.WaitIdleAsync(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
        await _loop.StopAsync(() => // after the replies still queued
        {
            foreach (var connection in _connections)
            {
                if (connection.Socket is { } socket)
                    Send(socket, Command.Disconnect);
                Close(connection);
            }
        }, CancellationToken.None).ConfigureAwait(false);
        MajordomoLog.WorkerLeft(_logger, Service, BrokerEndpoint);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <inheritdoc/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    // ------------------------------------------------------------------ connections (poller thread only)

    private sealed class Connection(int index)
    {
        public int Index { get; } = index;
        public DealerSocket? Socket { get; set; }
        public int Generation { get; set; }
        public DateTime BrokerExpiry { get; set; }
        public DateTime NextHeartbeat { get; set; }
        public DateTime ReconnectAt { get; set; }
        public TimeSpan Delay { get; set; }
        public bool Busy { get; set; }

        /// <summary>Whether the broker sent a HEARTBEAT or a REQUEST since this socket's READY: it took the registration.</summary>
        public bool Accepted { get; set; }

        /// <summary>How long to wait after the next refused READY (grows while READY keeps being refused).</summary>
        public TimeSpan RefusalDelay { get; set; }

        // Written on the poller thread, read by Status from any thread.
        private volatile bool _registered;
        private long _lastHeardTicks; // 0: nothing heard on this socket yet

        /// <summary>Whether READY was sent on this socket (after the proof, when the worker has a certificate).</summary>
        public bool Registered { get => _registered; set => _registered = value; }

        /// <summary>When the broker last sent anything on this socket; null before its first word.</summary>
        public DateTime? LastHeard
        {
            get => Interlocked.Read(ref _lastHeardTicks) is var ticks and not 0 ? new DateTime(ticks, DateTimeKind.Utc) : null;
            set => Interlocked.Exchange(ref _lastHeardTicks, value?.Ticks ?? 0);
        }
    }

    private TimeSpan Expiry => _options.HeartbeatInterval * _options.HeartbeatLiveness;

    private void Connect(Connection connection)
    {
        var socket = new DealerSocket();
        socket.Options.Linger = TimeSpan.Zero;
        socket.Options.MaxMsgSize = _options.MaxFrameBytes;
        socket.UseCurveClient(_options.ServerKey, _options.Certificate?.ToNetMQ());
        socket.Connect(BrokerEndpoint);
        connection.Socket = socket;
        connection.Generation++;
        connection.Busy = false;
        int generation = connection.Generation;
        socket.ReceiveReady += (_, e) => OnMessages(connection, generation, e.Socket);
        _loop.Add(socket);

        var now = DateTime.UtcNow;
        connection.BrokerExpiry = now + Expiry;
        connection.NextHeartbeat = now + _options.HeartbeatInterval;
        connection.Registered = false;
        connection.LastHeard = null;
        if (_proof is { } proof)
            socket.SendMultipartMessage(proof.Hello());
        else
            Register(connection);
    }

    /// <summary>READY, then the idempotent commands (docs/protocol.md §9).</summary>
    private void Register(Connection connection)
    {
        var socket = connection.Socket!;
        connection.Registered = true;
        connection.Accepted = false;
        var ready = Command_(Command.Ready);
        ready.Append(_serviceBytes);
        socket.SendMultipartMessage(ready);
        Interlocked.Increment(ref _registrations);

        var idempotent = _commands.All.Where(c => c.IsIdempotent).Select(c => c.Name).ToList();
        if (idempotent.Count > 0)
        {
            var declare = new NetMQMessage();
            declare.AppendEmptyFrame();
            declare.Append(WireConstants.ClientSignatureBytes);
            declare.Append(Services.Idempotent);
            foreach (var name in idempotent)
                declare.Append(name);
            socket.SendMultipartMessage(declare);
        }
    }

    private void Close(Connection connection)
    {
        if (connection.Socket is { } socket)
        {
            connection.Socket = null;
            _loop.Remove(socket);
            socket.Dispose();
        }
        connection.Busy = false;
    }

    /// <summary>The broker took this socket's registration: a later refusal starts its wait from the beginning.</summary>
    private static void Accepted(Connection connection)
    {
        connection.Accepted = true;
        connection.RefusalDelay = TimeSpan.Zero;
    }

    private void Reconnect(Connection connection, TimeSpan delay, string why)
    {
        MajordomoLog.WorkerReconnecting(_logger, Service, why, BrokerEndpoint, (int)delay.TotalMilliseconds);
        Close(connection);
        connection.ReconnectAt = DateTime.UtcNow + delay;
    }

    private void OnTick()
    {
        if (Volatile.Read(ref _state) != ComponentState.Started)
            return;
        var now = DateTime.UtcNow;
        foreach (var connection in _connections)
        {
            if (connection.Socket is null)
            {
                if (now >= connection.ReconnectAt)
                    Connect(connection);
                continue;
            }
            if (now >= connection.BrokerExpiry) // also when a proof is never answered
            {
                var delay = connection.Delay == TimeSpan.Zero ? _options.ReconnectDelay : connection.Delay;
                connection.Delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
                Reconnect(connection, delay, $"the broker sent nothing for {Expiry.TotalSeconds:0.###} s");
            }
            else if (now >= connection.NextHeartbeat && connection.Registered) // no HEARTBEAT before READY (RFC 7)
            {
                Send(connection.Socket, Command.Heartbeat);
                connection.NextHeartbeat = now + _options.HeartbeatInterval;
            }
        }
    }

    private void OnMessages(Connection connection, int generation, NetMQSocket socket)
    {
        var message = new NetMQMessage();
        for (int i = 0; i < 100 && connection.Generation == generation && connection.Socket is not null; i++)
        {
            if (!socket.TryReceiveMultipartMessage(ref message))
                return;
            var now = DateTime.UtcNow;
            connection.BrokerExpiry = now + Expiry; // any message is a heartbeat
            connection.LastHeard = now;
            connection.Delay = TimeSpan.Zero;
            try
            {
                OnMessage(connection, message);
            }
            catch (Exception ex)
            {
                _receiveFaults.Record(ex);
            }
            message = new NetMQMessage();
        }
    }

    private void OnMessage(Connection connection, NetMQMessage message)
    {
        if (message.FrameCount >= 5 && message[0].MessageSize == 0 && IsFrame(message[1], WireConstants.ClientSignatureBytes)
            && message[2].ConvertToString() != Services.Idempotent)
        {
            OnProofReply(connection, message);
            return;
        }
        if (message.FrameCount >= 2 && message[0].MessageSize == 0 && IsFrame(message[1], WireConstants.ClientSignatureBytes))
        {
            // The broker's answer to our mmi.idempotent declaration.
            if (message.FrameCount < 4 || message[3].ConvertToString() != Protocol.Majordomo.Status.Ok)
                MajordomoLog.IdempotentCommandsNotAccepted(_logger, Service);
            return;
        }
        if (message.FrameCount < 3 || message[0].MessageSize != 0 || !IsFrame(message[1], WorkerSignatureBytes) || message[2].MessageSize != 1)
        {
            MajordomoLog.WorkerDroppedNonMdp(_logger, Service, message.FrameCount);
            return;
        }
        switch ((Command)message[2].Buffer[0])
        {
            // A REQUEST with no body at all (5 frames) is served too: it gets a bad_request reply. Dropping it
            // would leave this conversation busy for good in the broker's eyes.
            // An authenticating broker puts the client's identity frame between its address and the empty frame.
            case Command.Request when message.FrameCount >= 5 && (message[4].MessageSize == 0
                                                                  || (message.FrameCount >= 6 && message[5].MessageSize == 0)):
                if (connection.Busy)
                    MajordomoLog.WorkerSecondRequest(_logger, Service);
                connection.Busy = true;
                Accepted(connection);
                byte[] client = message[3].ToByteArray();
                int start = message[4].MessageSize == 0 ? 5 : 6;
                byte[]? stamped = start == 6 ? message[4].ToByteArray() : null;
                var body = new List<NetMQFrame>(message.FrameCount - start);
                for (int i = start; i < message.FrameCount; i++)
                    body.Add(message[i]);
                _running.Enter();
                _ = RunAsync(connection, connection.Generation, client, stamped, body);
                break;
            case Command.Heartbeat:
                Accepted(connection);
                break;
            case Command.Disconnect when connection.Registered && !connection.Accepted:
                // The answer to READY: the broker refused the registration (the key may not serve the service). It will
                // refuse again, so wait longer each time rather than reconnect at once and fill its log.
                var delay = connection.RefusalDelay == TimeSpan.Zero ? _options.ReconnectDelay : connection.RefusalDelay;
                connection.RefusalDelay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
                Reconnect(connection, delay, "the broker refused READY (DISCONNECT)");
                break;
            case Command.Disconnect: // e.g. a restarted broker that does not know this worker: register again at once
                Reconnect(connection, TimeSpan.Zero, "the broker said DISCONNECT");
                break;
            default:
                MajordomoLog.WorkerDroppedMalformedCommand(_logger, Service, message[2].Buffer[0]);
                break;
        }
    }

    /// <summary>The broker's answers to <c>auth.hello</c> and <c>auth.prove</c>: prove, then register.</summary>
    private void OnProofReply(Connection connection, NetMQMessage message)
    {
        if (connection.Registered || _proof is not { } proof)
            return;
        var step = proof.Next(message);
        if (step.Request is { } next)
            connection.Socket!.SendMultipartMessage(next);
        else if (step.Outcome is ProofOutcome.Proved or ProofOutcome.NothingToProve) // nothing to prove: a broker without an allow-list
            Register(connection);
        else if (step.Outcome is ProofOutcome.Refused)
            MajordomoLog.WorkerKeyRefused(_logger, Service, proof.Key, step.Refusal);
        // refused: no READY; the connection is renewed when the broker's silence expires
    }

    /// <summary>
    /// The caller of a request: the identity the broker stamped (docs/protocol.md §9.3), with the permissions this
    /// worker's own allow-list gives that key (none when it is not on it; all when the worker has no allow-list). A
    /// request with no stamp (a broker without an allow-list) is nobody's: with an allow-list the worker then runs only
    /// the built-ins for it, rather than everything, so a broker started without its allow-list opens nothing.
    /// </summary>
    private CallerIdentity? Caller(byte[]? stamped)
    {
        if (stamped is null)
            return _options.AllowList is null ? null : Unstamped;
        var (key, name) = AuthMessages.ReadIdentityMap(stamped);
        if (_options.AllowList is not { } allowList)
            return new CallerIdentity(key, name, CallerPermissions.All);
        return allowList.Find(key) is { } known ? known with { Name = name ?? known.Name } : new CallerIdentity(key, name, CallerPermissions.None);
    }

    /// <summary>The caller of a request the broker stamped no identity on, to a worker with an allow-list: no permission.</summary>
    private static readonly CallerIdentity Unstamped =
        new("", "a caller the broker did not authenticate (the broker has no allow-list)", CallerPermissions.None);

    private async Task RunAsync(Connection connection, int generation, byte[] client, byte[]? stamped, List<NetMQFrame> body)
    {
        // The body is the client's request after its service frame, as the broker forwarded it (docs/protocol.md §9.3).
        var frames = body.Select(f => new ReadOnlyMemory<byte>(f.Buffer, 0, f.MessageSize)).ToArray();
        ReadOnlyMemory<byte> rawId = RequestHeader.NilId;
        ReplyBody reply;
        try
        {
            var request = RequestBody.Parse(frames, out rawId);
            var caller = new CallerContext(Convert.ToHexString(client), Caller(stamped));
            reply = request.Header.IsCancel
                ? _executor.Reject(rawId, ErrorMap.Of(ErrorCodes.Cancelled, "A cancel notification reached a worker; a broker answers those itself."))
                : _executor.MayRunInline(request.Header.Command, body.Sum(f => (long)f.MessageSize))
                    ? await _executor.RunAsync(request, caller, _stopping.Token).ConfigureAwait(false) // here, on the socket thread
                    : await Task.Run(() => _executor.RunAsync(request, caller, _stopping.Token)).ConfigureAwait(false);
        }
        catch (ZeroBridgeProtocolException ex)
        {
            reply = _executor.Reject(rawId, ErrorMap.Of(ErrorCodes.BadRequest, ex.Message));
        }
        catch (Exception ex)
        {
            MajordomoLog.WorkerFault(_logger, ex, Service);
            reply = _executor.Reject(rawId, ErrorMap.Of(ErrorCodes.Internal, $"Worker fault: {ex.Message}"));
        }
        finally
        {
            _running.Exit();
        }
        try
        {
            if (_loop.IsCurrentThread)
                SendReply((connection, generation, client, Frames(reply))); // it ran inline and completed synchronously
            else
                _replies.Enqueue((connection, generation, client, Frames(reply)));
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>The reply body's frames, sharing each buffer that is a whole array (column buffers are).</summary>
    private static List<byte[]> Frames(ReplyBody reply)
    {
        var frames = new List<byte[]>(2 + reply.Attachments.Count) { reply.Header, reply.Payload };
        foreach (var attachment in reply.Attachments)
            frames.Add(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(attachment, out var segment)
                       && segment.Offset == 0 && segment.Count == segment.Array!.Length
                ? segment.Array
                : attachment.ToArray());
        return frames;
    }

    private void SendReply((Connection Connection, int Generation, byte[] Client, List<byte[]> Body) item)
    {
        var (connection, generation, client, body) = item;
        if (connection.Generation != generation || connection.Socket is null)
        {
            MajordomoLog.WorkerReplyDropped(_logger, Service);
            return;
        }
        var reply = Command_(Command.Reply);
        reply.Append(client);
        reply.AppendEmptyFrame();
        foreach (var frame in body)
            reply.Append(frame);
        connection.Socket.SendWithoutCopy(reply);
        connection.Busy = false;
        connection.NextHeartbeat = DateTime.UtcNow + _options.HeartbeatInterval;
    }

    private static NetMQMessage Command_(Command command)
    {
        var message = new NetMQMessage();
        message.AppendEmptyFrame();
        message.Append(WorkerSignatureBytes);
        message.Append(new[] { (byte)command });
        return message;
    }

    private static void Send(NetMQSocket socket, Command command) => socket.TrySendMultipartMessage(Command_(command));

    private static bool IsFrame(NetMQFrame frame, byte[] expected) =>
        frame.Buffer.AsSpan(0, frame.MessageSize).SequenceEqual(expected);
}
