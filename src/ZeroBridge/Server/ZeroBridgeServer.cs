using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Commands;
using ZeroBridge.Execution;
using ZeroBridge.Protocol;
using ZeroBridge.Security;
using ZeroBridge.Transport;

namespace ZeroBridge.Server;

/// <summary>
/// Serves a <see cref="CommandRegistry"/> on a ZeroMQ ROUTER socket to any number of clients, in the bridge
/// protocol and the JSON gateway (docs/protocol.md).
/// </summary>
/// <remarks>
/// The socket lives on one background thread (a <see cref="NetMQPoller"/>); commands run on the thread pool, at
/// most <see cref="ZeroBridgeServerOptions.MaxConcurrency"/> at once, and their replies return to the socket
/// thread through a queue. A slow command therefore never holds up the socket or the other clients. Only a small
/// request for a command declared <see cref="NonBlockingAttribute">non-blocking</see> runs on the socket thread itself.
/// </remarks>
/// <example>
/// <code>
/// var commands = new CommandRegistry().Add("add", (int a, int b) => a + b);
/// await using var server = new ZeroBridgeServer(commands, ZeroBridgeServerOptions.Default with { Endpoint = "tcp://127.0.0.1:5555" });
/// await server.StartAsync();
/// </code>
/// </example>
public sealed class ZeroBridgeServer : IZeroBridgeComponent
{
    private readonly CommandRegistry _commands;
    private readonly ZeroBridgeServerOptions _options;
    private readonly ILogger _logger;
    private readonly ReceiveFaults _receiveFaults;
    private readonly CommandExecutor _executor;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<(string Peer, string Id), CancellationTokenSource> _inFlight = new();
    private readonly SocketLoop _loop = new();
    private readonly NetMQQueue<NetMQMessage> _replies;
    private readonly RunningRequests _running = new();
    private readonly AdmissionGate _admission;
    private readonly ConnectionAuthentication? _authentication;
    private RouterSocket? _router;
    private int _state; // ComponentState

    /// <summary>Creates a server for the commands of <paramref name="commands"/>; call <see cref="StartAsync"/> to serve.</summary>
    public ZeroBridgeServer(CommandRegistry commands, ZeroBridgeServerOptions? options = null, ILogger<ZeroBridgeServer>? logger = null)
    {
        _commands = commands;
        _options = options ?? ZeroBridgeServerOptions.Default;
        _options.ConnectionLimits.ThrowIfInvalid(nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _receiveFaults = new ReceiveFaults(_logger, "Server");
        _executor = new CommandExecutor(commands, new CommandExecutorOptions
        {
            MaxConcurrency = _options.MaxConcurrency,
            IncludeStackTraces = _options.IncludeStackTraces,
            TableChunkBytes = _options.TableChunkBytes,
            TableCursorIdleTimeout = _options.TableCursorIdleTimeout,
            MaxOpenTableCursors = _options.MaxOpenTableCursors,
        }, _logger);
        _replies = _loop.Queue<NetMQMessage>(SendReply);
        // Room for every slot plus a short queue before the executor, so a slot never idles while the socket thread
        // catches up; everything beyond waits unread in ZeroMQ's per-peer queues, taken fairly (AdmissionGate).
        int admissionLimit = (int)Math.Min(int.MaxValue, 2L * _options.MaxConcurrency + 16);
        _admission = new AdmissionGate(admissionLimit,
            stopReading: () => _router!.ReceiveReady -= OnRequestsReady,
            startReading: () =>
            {
                if (Volatile.Read(ref _state) == ComponentState.Started)
                    _router!.ReceiveReady += OnRequestsReady;
            },
            onSocketThread: action =>
            {
                if (_loop.IsRunning)
                    _loop.Post(action);
            });

        if (_options.AllowList is { } allowList)
        {
            if (_options.Certificate is null)
                throw new ArgumentException("An allow-list needs the server's Certificate too: clients prove their key to the server's key pair.",
                    nameof(options));
            _authentication = new ConnectionAuthentication(_options.Certificate, allowList, _logger, "Server");
        }
    }

    /// <summary>The endpoint the server is bound to, with the actual port when an ephemeral one was asked for.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>Whether it is bound and serving requests: started, and not yet stopping (for health checks).</summary>
    public bool IsRunning => Volatile.Read(ref _state) == ComponentState.Started;

    /// <summary>
    /// How many connections have proved an allowed client key and are still open (always 0 without an
    /// <see cref="ZeroBridgeServerOptions.AllowList"/>).
    /// </summary>
    public int AuthenticatedConnections => _authentication?.AuthenticatedCount ?? 0;

    /// <summary>How many requests are running or waiting for a slot right now.</summary>
    public int RequestsInFlight => _running.Count;

    /// <summary>Binds the endpoint and starts serving on a background thread.</summary>
    /// <exception cref="InvalidOperationException">The server was already started or stopped.</exception>
    /// <exception cref="NetMQ.NetMQException">The endpoint cannot be bound (in use, malformed).</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, ComponentState.Started, ComponentState.New) != ComponentState.New)
            throw new InvalidOperationException("A ZeroBridgeServer starts once.");
        if (TrustedEndpointGuard.Violation(_commands, _options.Endpoint, "serve", _authentication is not null) is { } refusal)
        {
            Volatile.Write(ref _state, ComponentState.New); // nothing started
            throw new ZeroBridgeException(refusal);
        }
        if (PlaintextExposure.Refusal("ZeroBridge server", _options.Endpoint, EndpointAddress.IsLocalOnly(_options.Endpoint),
                _options.Certificate is not null, _options.Insecure) is { } exposure)
        {
            Volatile.Write(ref _state, 0); // nothing started
            throw new ZeroBridgeException(exposure);
        }

        var router = new RouterSocket();
        router.UseCurveServer(_options.Certificate?.ToNetMQ());
        router.Options.Linger = TimeSpan.Zero;
        router.Options.RouterMandatory = true; // so a reply to a peer that left raises, and is logged, not lost unseen
        router.Options.MaxMsgSize = _options.MaxRequestBytes >= long.MaxValue / 4 ? -1 : _options.MaxRequestBytes * 4;
        PeerDisconnects.Report(router);
        Endpoint = router.BindForStart(_options.Endpoint, ref _state);
        _router = _loop.Own(router);
        ConnectionWatch.Start(_loop, router, _options.ConnectionLimits, _logger, "Server");
        router.ReceiveReady += OnRequestsReady;
        ThreadPoolHeadroom.Reserve(_options.MaxConcurrency, _logger);
        _loop.Start($"ZeroBridge server {Endpoint}");
        ServerLog.Listening(_logger, Endpoint,
            _options.Certificate is null ? "plain text"
            : _authentication is null ? $"CURVE, server key {_options.Certificate.PublicKey}"
            : $"CURVE, server key {_options.Certificate.PublicKey}, clients from the allow-list {_options.AllowList}");
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops taking requests, lets running commands finish for up to <see cref="ZeroBridgeServerOptions.ShutdownTimeout"/>,
    /// cancels the rest (they reply <c>cancelled</c>), sends the last replies and closes the socket.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!ComponentState.BeginStop(ref _state, _loop, _executor))
            return;
        _router!.ReceiveReady -= OnRequestsReady; // runs on whichever thread; the poller reads the event list under its own lock
        await _running.WaitIdleAsync(_options.ShutdownTimeout, cancellationToken).ConfigureAwait(false);
        _stopping.Cancel(); // the rest are cancelled, and still reply
        await _running.WaitIdleAsync(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
        await _loop.StopAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false); // sends the queued replies first
        _executor.Dispose();
        ServerLog.Stopped(_logger, Endpoint);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <inheritdoc/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void OnRequestsReady(object? sender, NetMQSocketEventArgs e)
    {
        // Take what is there now, up to a bound, so replies and other sockets get their turn; and only while there is
        // room (the rest waits in ZeroMQ's per-peer queues).
        for (int i = 0; i < 1000 && _admission.HasRoom(); i++)
        {
            var message = new NetMQMessage();
            if (!e.Socket.TryReceiveMultipartMessage(ref message))
                return;
            try
            {
                Accept(message);
            }
            catch (Exception ex)
            {
                _receiveFaults.Record(ex);
            }
        }
    }

    private void Accept(NetMQMessage message)
    {
        if (PeerDisconnects.IsNotice(message))
        {
            string gone = Convert.ToHexString(message[0].Buffer, 0, message[0].MessageSize);
            _authentication?.Disconnected(gone); // before any newcomer can take this routing id (docs/security.md)
            CancelPeer(gone);
            return;
        }

        var request = InboundRequest.Parse(message);
        string peer = Convert.ToHexString(request.Envelope.PeerIdentity);
        long size = 0;
        foreach (var frame in message)
            size += frame.MessageSize;
        ZeroBridgeDiagnostics.RequestSize.Record(size);
        if (size > _options.MaxRequestBytes)
        {
            _replies.Enqueue(Reject(request, ErrorMap.Of(ErrorCodes.TooLarge,
                $"The request is {size} bytes; this server accepts at most {_options.MaxRequestBytes}.",
                new Dictionary<string, object?> { ["limit"] = _options.MaxRequestBytes, ["size"] = size })));
            return;
        }

        CallerIdentity? identity = null;
        if (_authentication is { } authentication)
        {
            if (request is BridgeRequest { Header.Command: var command } proof && AuthMessages.IsAuthCommand(command))
            {
                _replies.Enqueue(Authenticate(proof, peer, authentication));
                return;
            }
            if (request is GatewayRequest gateway && JsonGateway.AsProof(gateway.Text) is { } jsonProof)
            {
                var answer = authentication.Answer(peer, jsonProof.Command, () => AuthMessages.ReadProve(jsonProof.Arguments, base64: true));
                _replies.Enqueue(GatewayReply(gateway.Envelope, JsonGateway.ProofReply(answer, jsonProof.Id)));
                return;
            }
            identity = authentication.IdentityOf(peer);
            if (identity is null)
            {
                if (request is not BridgeRequest { Header.IsCancel: true }) // a cancel has no reply
                    _replies.Enqueue(Reject(request, ErrorMap.Of(ErrorCodes.Unauthenticated,
                        "This server serves only clients whose key is on its allow-list, and this connection has not proved one: " +
                        "connect with your certificate (NAME.key_secret) so the client sends auth.hello and auth.prove first " +
                        "(JSON gateway clients send them themselves: docs/protocol.md §6.1).")));
                return;
            }
        }

        if (request is BridgeRequest { Header.IsCancel: true } cancel)
        {
            if (_inFlight.TryGetValue((peer, Convert.ToHexString(cancel.Header.RawId.Span)), out var running))
                CancelQuietly(running);
            return; // a cancel notification has no reply
        }

        // A small gateway request is parsed here (at most InlineRequestBytes of JSON), so a non-blocking command it names
        // can run inline like a bridge request's; a larger one is parsed on the pool.
        JsonGateway.Request? gatewayCall = null;
        if (request is GatewayRequest small && size <= CommandExecutor.InlineRequestBytes)
        {
            try
            {
                gatewayCall = JsonGateway.Parse(small.Text);
            }
            catch (ZeroBridgeProtocolException ex)
            {
                _replies.Enqueue(Reject(request, ErrorMap.Of(ErrorCodes.BadRequest, ex.Message)));
                return;
            }
        }

        var key = (peer, request is BridgeRequest b ? Convert.ToHexString(b.Header.RawId.Span) : Guid.NewGuid().ToString());
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        if (!_inFlight.TryAdd(key, cancellation))
        {
            key = (peer, Guid.NewGuid().ToString()); // the client reused an id in flight; serve it, uncancellable by id
            _inFlight.TryAdd(key, cancellation);
        }
        _running.Enter();
        _admission.Enter();
        var caller = new CallerContext(peer, identity);
        if (RunsInline(request, gatewayCall, size))
        {
            // Declared non-blocking and small (CommandExecutor.MayRunInline): run it here and send its reply at once,
            // sparing the hop to the pool and the wake-up back to this thread. Should it go asynchronous after all,
            // it finishes on the pool.
            _ = RunAsync(request, gatewayCall, caller, key, cancellation);
            return;
        }
        // On the pool otherwise: a command that is a plain blocking method would run on this thread and hold the
        // socket (no other request taken, no reply sent) until it returned.
        _ = Task.Run(() => RunAsync(request, gatewayCall, caller, key, cancellation));
    }

    /// <summary>A bridge request, or a gateway request parsed here (<paramref name="gatewayCall"/>), for a command that may run inline.</summary>
    private bool RunsInline(InboundRequest request, JsonGateway.Request? gatewayCall, long size) => request switch
    {
        BridgeRequest bridge => _executor.MayRunInline(bridge.Header.Command, size),
        GatewayRequest => gatewayCall is not null && _executor.MayRunInline(gatewayCall.Command, size),
        _ => false,
    };

    /// <summary>
    /// Answers <c>auth.hello</c> and <c>auth.prove</c> on the socket thread, in order with the connection's other
    /// messages and its disconnect message (docs/protocol.md §15).
    /// </summary>
    private NetMQMessage Authenticate(BridgeRequest request, string peer, ConnectionAuthentication authentication) =>
        BridgeReply(request.Envelope, request.Service, authentication.Answer(peer, request.Body, _executor.Reject));

    private async Task RunAsync(InboundRequest request, JsonGateway.Request? gatewayCall, CallerContext caller, (string, string) key,
        CancellationTokenSource cancellation)
    {
        string peer = caller.Peer;
        try
        {
            var reply = await ServeAsync(request, gatewayCall, caller, cancellation.Token).ConfigureAwait(false);
            if (_loop.IsCurrentThread)
                SendReply(reply); // it ran inline and completed synchronously
            else
                _replies.Enqueue(reply);
        }
        catch (Exception ex)
        {
            ServerLog.Fault(_logger, ex, peer);
            _replies.Enqueue(Reject(request, ErrorMap.Of(ErrorCodes.Internal, $"Server fault: {ex.Message}")));
        }
        finally
        {
            _inFlight.TryRemove(key, out _);
            cancellation.Dispose();
            _running.Exit();
            _admission.Leave();
        }
    }

    // ------------------------------------------------------------------ envelopes: the server's part of a request

    /// <summary>
    /// Runs a request through the executor and puts the reply in the request's envelope and form; a gateway request's JSON
    /// is parsed here unless the socket thread did already (<paramref name="gatewayCall"/>).
    /// </summary>
    private async Task<NetMQMessage> ServeAsync(InboundRequest request, JsonGateway.Request? gatewayCall, CallerContext caller,
        CancellationToken cancellation)
    {
        switch (request)
        {
            case BridgeRequest bridge:
                var body = await _executor.RunAsync(bridge.Body, caller, cancellation).ConfigureAwait(false);
                return BridgeReply(bridge.Envelope, bridge.Service, body);

            case GatewayRequest gateway:
                JsonGateway.Request parsed;
                try
                {
                    parsed = gatewayCall ?? JsonGateway.Parse(gateway.Text);
                }
                catch (ZeroBridgeProtocolException ex)
                {
                    return Reject(request, ErrorMap.Of(ErrorCodes.BadRequest, ex.Message));
                }
                var outcome = await _executor.ExecuteAsync(new CommandCall(parsed.Command, null, parsed.Arguments, []), caller,
                    cancellation).ConfigureAwait(false);
                var json = outcome.Error is { } error
                    ? JsonGateway.Failure(error, parsed.Id)
                    : JsonGateway.Success(outcome.Result, parsed, _logger);
                await outcome.ReleaseAsync().ConfigureAwait(false);
                return GatewayReply(gateway.Envelope, json);

            case MalformedRequest malformed:
                return Reject(malformed, ErrorMap.Of(ErrorCodes.BadRequest, malformed.Reason));

            default:
                throw new ArgumentOutOfRangeException(nameof(request), request.GetType().Name, "Unknown request kind.");
        }
    }

    /// <summary>An error reply to a request that will not run (malformed, or too large), in the request's own form.</summary>
    private NetMQMessage Reject(InboundRequest request, ErrorMap error) => request switch
    {
        BridgeRequest bridge => BridgeReply(bridge.Envelope, bridge.Service, _executor.Reject(bridge.Header.RawId, error)),
        MalformedRequest { IsGateway: false } malformed =>
            BridgeReply(malformed.Envelope, malformed.Service ?? WireConstants.DefaultService, _executor.Reject(malformed.RawId, error)),
        _ => GatewayReply(request.Envelope, JsonGateway.Failure(error, null)),
    };

    /// <summary>[routing] [""] "MDPC01" service | header payload attachments...</summary>
    private static NetMQMessage BridgeReply(Envelope envelope, string service, ReplyBody body)
    {
        var reply = envelope.StartReply();
        reply.Append(WireConstants.ClientSignatureBytes);
        reply.Append(System.Text.Encoding.UTF8.GetBytes(service));
        body.AppendTo(reply);
        return reply;
    }

    private static NetMQMessage GatewayReply(Envelope envelope, byte[] json)
    {
        var reply = envelope.StartReply();
        reply.Append(json);
        return reply;
    }

    private void CancelPeer(string peer)
    {
        foreach (var (key, cancellation) in _inFlight)
        {
            if (key.Peer == peer)
            {
                ServerLog.PeerLeftDuringRequest(_logger, peer);
                CancelQuietly(cancellation);
            }
        }
    }

    /// <summary>
    /// Cancels without running the command's cancellation callbacks on the socket thread, and tolerates a request
    /// that finished (and disposed its source) a moment ago.
    /// </summary>
    private static void CancelQuietly(CancellationTokenSource cancellation)
    {
        try
        {
            _ = cancellation.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void SendReply(NetMQMessage reply)
    {
        if (ZeroBridgeDiagnostics.ResponseSize.Enabled)
        {
            long size = 0;
            foreach (var frame in reply)
                size += frame.MessageSize;
            ZeroBridgeDiagnostics.ResponseSize.Record(size);
        }
        try
        {
            if (!_router!.TrySendWithoutCopy(reply, TimeSpan.Zero))
                ServerLog.ReplyDroppedQueueFull(_logger);
        }
        catch (NetMQ.HostUnreachableException)
        {
            ServerLog.ReplyDroppedPeerLeft(_logger);
        }
    }
}
