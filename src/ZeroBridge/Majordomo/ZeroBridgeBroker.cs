using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Protocol;
using ZeroBridge.Security;
using ZeroBridge.Serialization;
using ZeroBridge.Server;
using static ZeroBridge.Protocol.Majordomo;
using ZeroBridge.Transport;

namespace ZeroBridge.Majordomo;

/// <summary>
/// A Majordomo broker (7/MDP, with 8/MMI): clients send requests for a named service, workers register for
/// services, and the broker hands each request to an idle worker of its service and the reply back to the client.
/// Clients and workers only know the broker's address. See docs/protocol.md §9.
/// </summary>
/// <remarks>
/// <para>One ROUTER socket serves both sub-protocols, on one background thread (a <see cref="NetMQPoller"/>);
/// bodies are forwarded frame for frame, never decoded except to read a bridge header's <c>id</c>, <c>cmd</c>
/// and <c>timeout</c>.</para>
/// <para>Load balancing: per service, requests wait first come, first served, and go to the worker that has been
/// idle longest (least recently used). A worker runs one request at a time, as MDP requires; a process that wants
/// to run several at once opens several worker connections (<see cref="ZeroBridgeWorkerOptions.Concurrency"/>).</para>
/// <para>Failures: a worker is dead when it closes its connection or stays silent for
/// <see cref="ZeroBridgeBrokerOptions.WorkerExpiry"/>. Its request is re-sent to another worker when the worker
/// declared the command idempotent, else answered <c>worker_lost</c>. A request no worker takes within
/// <see cref="ZeroBridgeBrokerOptions.RequestTimeout"/> is answered <c>service_unavailable</c>.</para>
/// </remarks>
/// <example>
/// <code>
/// await using var broker = new ZeroBridgeBroker(ZeroBridgeBrokerOptions.Default with { Endpoint = "tcp://*:5555" });
/// await broker.StartAsync();
/// </code>
/// </example>
public sealed class ZeroBridgeBroker : IZeroBridgeComponent, IBrokerOutput
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);

    private readonly ZeroBridgeBrokerOptions _options;
    private readonly ILogger _logger;
    private readonly ReceiveFaults _receiveFaults;
    private readonly BrokerBookkeeping _book;
    private readonly ConnectionAuthentication? _authentication;
    private readonly DateTime _started = DateTime.UtcNow;
    private readonly SocketLoop _loop = new();
    private RouterSocket? _router;
    private BrokerStatus _status = BrokerStatus.Empty;
    private TaskCompletionSource _statusRefreshed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state; // ComponentState

    /// <summary>Creates a broker; call <see cref="StartAsync"/> to bind and serve.</summary>
    public ZeroBridgeBroker(ZeroBridgeBrokerOptions? options = null, ILogger<ZeroBridgeBroker>? logger = null)
    {
        _options = options ?? ZeroBridgeBrokerOptions.Default;
        _options.ConnectionLimits.ThrowIfInvalid(nameof(options));
        if (_options.HeartbeatInterval <= TimeSpan.Zero || _options.HeartbeatLiveness < 1)
            throw new ArgumentException("HeartbeatInterval must be positive and HeartbeatLiveness at least 1.", nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _receiveFaults = new ReceiveFaults(_logger, "Broker");
        _book = new BrokerBookkeeping(_options, this, _logger);
        if (_options.AllowList is { } allowList)
        {
            if (_options.Certificate is null)
                throw new ArgumentException("An allow-list needs the broker's Certificate too: peers prove their key to the broker's key pair.",
                    nameof(options));
            _authentication = new ConnectionAuthentication(_options.Certificate, allowList, _logger, "Broker");
            _authentication.Changed = WorkerKeyChanged;
        }
    }

    /// <summary>
    /// A registered worker whose key left the allow-list, or whose key may no longer serve its service, is sent
    /// DISCONNECT and removed at once, so it gets no request more (docs/security.md, "Broker"). Runs on the socket
    /// thread, from the allow-list recheck.
    /// </summary>
    private void WorkerKeyChanged(string connection, CallerIdentity? identity)
    {
        if (!_book.Workers.TryGetValue(connection, out var worker) || identity?.Permissions.AllowsService(worker.Service.Name) == true)
            return;
        MajordomoLog.BrokerWorkerKeyChanged(_logger, connection, worker.Service.Name,
            identity is null ? "its key left the allow-list" : $"{identity.Display} may no longer serve it");
        SendToWorker(worker.Identity, Command.Disconnect);
        _book.RemoveWorker(worker, "its key may no longer serve the service", DateTime.UtcNow);
    }

    /// <summary>The endpoint the broker is bound to, with the actual port when an ephemeral one was asked for.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>The services, worker counts, queue depths and counters, refreshed every 50 ms while running.</summary>
    public BrokerStatus Status => Volatile.Read(ref _status);

    /// <summary>Completes when <see cref="Status"/> is next refreshed: a wait for a change, where polling would guess.</summary>
    internal Task StatusRefreshed => Volatile.Read(ref _statusRefreshed).Task;

    /// <summary>Whether it is bound and routing requests: started, and not yet stopping (for health checks).</summary>
    public bool IsRunning => Volatile.Read(ref _state) == ComponentState.Started;

    /// <summary>Binds the endpoint and starts brokering on a background thread.</summary>
    /// <exception cref="InvalidOperationException">The broker was already started or stopped.</exception>
    /// <exception cref="NetMQException">The endpoint cannot be bound (then <see cref="StartAsync"/> may be tried again).</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, ComponentState.Started, ComponentState.New) != ComponentState.New)
            throw new InvalidOperationException("A ZeroBridgeBroker starts once.");
        if (PlaintextExposure.Refusal("ZeroBridge broker", _options.Endpoint, EndpointAddress.IsLocalOnly(_options.Endpoint),
                _options.Certificate is not null, _options.Insecure) is { } exposure)
        {
            Volatile.Write(ref _state, ComponentState.New); // nothing started
            throw new ZeroBridgeException(exposure);
        }
        var router = new RouterSocket();
        router.UseCurveServer(_options.Certificate?.ToNetMQ());
        router.Options.Linger = TimeSpan.Zero;
        router.Options.RouterMandatory = true;
        router.Options.MaxMsgSize = _options.MaxFrameBytes;
        PeerDisconnects.Report(router);
        router.Options.ReceiveHighWatermark = 100_000;
        router.Options.SendHighWatermark = 100_000;
        Endpoint = router.BindForStart(_options.Endpoint, ref _state);
        _router = _loop.Receive(router, Tick, OnMessage); // its timer and monitor can wait a tick
        ConnectionWatch.Start(_loop, router, _options.ConnectionLimits, _logger, "Broker");
        _loop.Every(Tick, OnTick);
        _loop.Start($"ZeroBridge broker {Endpoint}");
        BrokerMetrics.Running.Add(this);
        MajordomoLog.BrokerListening(_logger, Endpoint, _options.Certificate is null ? "plain text"
            : _authentication is null ? $"CURVE, server key {_options.Certificate.PublicKey}"
            : $"CURVE, server key {_options.Certificate.PublicKey}, clients and workers from the allow-list {_options.AllowList}");
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops brokering: tells every worker DISCONNECT (so it re-registers with whatever broker comes next),
    /// answers waiting requests <c>service_unavailable</c>, and closes the socket.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!ComponentState.BeginStop(ref _state, _loop))
            return;
        BrokerMetrics.Running.Remove(this);
        if (!await _loop.StopAsync(_book.ShutDown, cancellationToken).ConfigureAwait(false))
            MajordomoLog.BrokerDrainTimedOut(_logger);
        MajordomoLog.BrokerStopped(_logger, Endpoint);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <inheritdoc/>
    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    // ------------------------------------------------------------------ receiving

    private void OnMessage(NetMQMessage message)
    {
        try
        {
            Route(message);
        }
        catch (Exception ex)
        {
            _receiveFaults.Record(ex); // nothing a peer sends may stop the broker
        }
    }

    private void Route(NetMQMessage message)
    {
        byte[] sender = message[0].ToByteArray();
        string key = Convert.ToHexString(sender);
        if (PeerDisconnects.IsNotice(message))
        {
            _authentication?.Disconnected(key); // before any newcomer can take this routing id (docs/security.md)
            _book.PeerLeft(key, DateTime.UtcNow);
            return;
        }

        // [sender] [""] signature ... (a DEALER client may leave the delimiter out, as with the direct server)
        bool delimited = message.FrameCount > 1 && message[1].MessageSize == 0;
        int signature = delimited ? 2 : 1;
        if (message.FrameCount > signature && IsFrame(message[signature], WireConstants.ClientSignatureBytes))
        {
            FromClient(sender, key, delimited, message, signature + 1);
            return;
        }
        if (delimited && message.FrameCount > 3 && IsFrame(message[2], WorkerSignatureBytes))
        {
            FromWorker(sender, key, message);
            return;
        }
        Invalid(sender, key, delimited, $"The message is neither MDP/Client ('{WireConstants.ClientSignature}') nor MDP/Worker " +
            $"('{WorkerSignature}' with a command frame) after an empty frame; this is a Majordomo broker (docs/protocol.md §9).");
    }

    /// <summary>Something that is not MDP: a known worker is dropped (RFC 7: "treat that peer as invalid"), anyone else gets a JSON error.</summary>
    private void Invalid(byte[] sender, string key, bool delimited, string reason)
    {
        if (_book.Workers.TryGetValue(key, out var worker))
        {
            MajordomoLog.BrokerWorkerInvalidMessage(_logger, key, worker.Service.Name, reason);
            _book.RemoveWorker(worker, "sent an invalid message", DateTime.UtcNow);
            return;
        }
        MajordomoLog.BrokerInvalidMessage(_logger, key, reason);
        var reply = new NetMQMessage();
        reply.Append(sender);
        if (delimited)
            reply.AppendEmptyFrame();
        reply.Append(ErrorMap.Of(ErrorCodes.BadRequest, reason).EncodeJson(null));
        Send(reply);
    }

    // ------------------------------------------------------------------ clients

    private void FromClient(byte[] client, string key, bool delimited, NetMQMessage message, int serviceFrame)
    {
        if (message.FrameCount <= serviceFrame)
        {
            Invalid(client, key, delimited, "An MDP/Client request needs a service frame after 'MDPC01'.");
            return;
        }
        string service = message[serviceFrame].ConvertToString(Encoding.UTF8);
        var body = new List<NetMQFrame>(message.FrameCount - serviceFrame - 1);
        for (int i = serviceFrame + 1; i < message.FrameCount; i++)
            body.Add(message[i]);

        var caller = _authentication?.IdentityOf(key);
        if (service.StartsWith(ManagementPrefix, StringComparison.Ordinal))
        {
            if (_authentication is not null && caller is null)
            {
                Refuse(client, delimited, service, null, ErrorCodes.Unauthenticated, NotAuthenticated);
                return;
            }
            var frames = BrokerManagement.Answer(service, body.Select(f => f.ConvertToString(Encoding.UTF8)).ToList(), key, _book,
                new BrokerManagement.BrokerFacts(Endpoint, _started, _options), DateTime.UtcNow);
            var reply = StartReply(client, delimited, service);
            foreach (var frame in frames)
                reply.Append(Encoding.UTF8.GetBytes(frame));
            Send(reply);
            return;
        }

        // Read what the broker needs of a bridge header; a foreign body (any MDP client) is forwarded as it is.
        ReadOnlyMemory<byte>? id = null;
        string? command = null;
        TimeSpan? timeout = null;
        if (body.Count > 0 && RequestHeader.OpensWithMap(body[0].Buffer.AsSpan(0, body[0].MessageSize)))
        {
            try
            {
                var header = RequestHeader.Parse(body[0].Buffer.AsMemory(0, body[0].MessageSize), out _);
                if (header.IsCancel)
                {
                    _book.CancelQueued(key, service, header.RawId);
                    return; // no reply to a cancel notification (docs/protocol.md §2)
                }
                id = header.RawId;
                command = header.Command;
                timeout = header.Timeout;
            }
            catch (ZeroBridgeProtocolException)
            {
            }
        }

        if (id is { } noProofId && AuthMessages.IsAuthCommand(command) && _authentication is null)
        {
            // Never forwarded: a worker proving itself must not wait for a worker of its own service.
            Refuse(client, delimited, service, noProofId, ErrorCodes.BadRequest,
                "This broker has no allow-list: it does not authenticate clients or workers, so there is nothing to prove.");
            return;
        }
        if (_authentication is { } authentication)
        {
            if (id is { } rawId && AuthMessages.IsAuthCommand(command))
            {
                // The proof is the broker's own business, whatever service the peer named (it is echoed).
                var frames = body.Select(f => new ReadOnlyMemory<byte>(f.Buffer, 0, f.MessageSize)).ToArray();
                ReplyBody answer;
                try
                {
                    answer = authentication.Answer(key, RequestBody.Parse(frames, out _), Reject);
                }
                catch (ZeroBridgeProtocolException ex)
                {
                    answer = Reject(rawId, ErrorMap.Of(ErrorCodes.BadRequest, ex.Message));
                }
                var reply = StartReply(client, delimited, service);
                answer.AppendTo(reply);
                Send(reply);
                return;
            }
            if (caller is null)
            {
                Refuse(client, delimited, service, id, ErrorCodes.Unauthenticated, NotAuthenticated);
                return;
            }
            if (!caller.Permissions.AllowsService(service))
            {
                MajordomoLog.BrokerServiceRefused(_logger, caller.Display, service);
                Refuse(client, delimited, service, id, ErrorCodes.PermissionDenied,
                    $"{caller.Display} may not use the service '{service}': no pattern in its certificate's 'services' matches it.");
                return;
            }
        }

        // Half the client's deadline at most: the error must reach the client before it gives up, and the other
        // half is the worker's to run the command.
        var wait = timeout is { } t && t / 2 < _options.RequestTimeout ? t / 2 : _options.RequestTimeout;
        _book.Accept(new PendingRequest
        {
            Client = client, ClientKey = key, HasDelimiter = delimited, Service = service, Body = body,
            BridgeId = id, Command = command, Deadline = DateTime.UtcNow + wait, Caller = caller,
        });
    }

    private const string NotAuthenticated =
        "This broker serves only clients and workers whose key is on its allow-list, and this connection has not proved one: " +
        "connect with your certificate (NAME.key_secret) so auth.hello and auth.prove are sent first.";

    private static ReplyBody Reject(ReadOnlyMemory<byte> rawId, ErrorMap error) => ReplyBody.Failure(rawId, error, WireSerializer.BaseOptions);

    /// <summary>A refusal by the broker itself, before any worker: a bridge error reply, or status and message frames.</summary>
    private void Refuse(byte[] client, bool delimited, string service, ReadOnlyMemory<byte>? id, string code, string message) =>
        ((IBrokerOutput)this).Fail(new PendingRequest
        {
            Client = client, ClientKey = "", HasDelimiter = delimited, Service = service, Body = [], BridgeId = id,
        }, code, code switch { ErrorCodes.Unauthenticated => "401", ErrorCodes.PermissionDenied => "403", _ => "400" }, message, null);

    // ------------------------------------------------------------------ workers

    private void FromWorker(byte[] identity, string key, NetMQMessage message)
    {
        // [identity] [""] "MDPW01" command ...
        var commandFrame = message[3];
        _book.Workers.TryGetValue(key, out var worker);
        if (commandFrame.MessageSize != 1 || commandFrame.Buffer[0] is < (byte)Command.Ready or > (byte)Command.Disconnect)
        {
            Invalid(identity, key, true, $"Unknown MDP/Worker command frame of {commandFrame.MessageSize} byte(s).");
            return;
        }
        var command = (Command)commandFrame.Buffer[0];
        var now = DateTime.UtcNow;
        if (worker is not null)
            _book.Heard(worker, now); // any command is a heartbeat

        switch (command)
        {
            case Command.Ready:
                if (message.FrameCount != 5)
                {
                    Invalid(identity, key, true, "READY has exactly one frame after the command: the service name.");
                    return;
                }
                string service = message[4].ConvertToString(Encoding.UTF8);
                if (worker is not null)
                    Unexpected(identity, worker, "sent a second READY");
                else if (service.Length == 0 || service.StartsWith(ManagementPrefix, StringComparison.Ordinal))
                    Unexpected(identity, null, $"tried to register the reserved or empty service '{service}'");
                else if (_authentication?.IdentityOf(key) is var proved && _authentication is not null
                         && (proved is null || !proved.Permissions.AllowsService(service)))
                {
                    MajordomoLog.BrokerWorkerRefused(_logger, key, proved?.Display ?? "no proved key", service);
                    SendToWorker(identity, Command.Disconnect);
                }
                else
                    _book.Register(identity, key, service, now);
                return;

            case Command.Reply:
                if (worker?.Current is null)
                {
                    Unexpected(identity, worker, "sent REPLY without a request");
                    return;
                }
                if (message.FrameCount < 7 || message[5].MessageSize != 0 || !IsFrame(message[4], worker.Current.Client))
                {
                    Invalid(identity, key, true, "REPLY needs the client address of its request and an empty frame before the body.");
                    return;
                }
                var request = _book.Replied(worker);
                var reply = StartReply(request.Client, request.HasDelimiter, request.Service);
                for (int i = 6; i < message.FrameCount; i++)
                    reply.Append(message[i]);
                Send(reply);
                _book.MadeIdle(worker);
                return;

            case Command.Heartbeat:
                if (message.FrameCount != 4)
                    Invalid(identity, key, true, "HEARTBEAT has no frames after the command.");
                else if (worker is null)
                    Unexpected(identity, null, "sent HEARTBEAT without READY");
                return;

            case Command.Disconnect:
                if (worker is not null)
                {
                    MajordomoLog.BrokerWorkerSaidDisconnect(_logger, key, worker.Service.Name);
                    _book.RemoveWorker(worker, "said DISCONNECT", now);
                }
                return;

            default: // REQUEST is the broker's to send
                Unexpected(identity, worker, $"sent {command}, which only the broker sends");
                return;
        }
    }

    /// <summary>RFC 7: "respond to any valid but unexpected command by sending DISCONNECT and then no further commands".</summary>
    private void Unexpected(byte[] identity, BrokerWorker? worker, string what)
    {
        MajordomoLog.BrokerSendingDisconnect(_logger, Convert.ToHexString(identity), what);
        SendToWorker(identity, Command.Disconnect);
        if (worker is not null)
            _book.RemoveWorker(worker, what, DateTime.UtcNow);
    }

    // ------------------------------------------------------------------ time

    private void OnTick()
    {
        try
        {
            _authentication?.RecheckWhenDue(); // a removed key's worker goes even while no client asks
            _book.Tick(DateTime.UtcNow);
            Volatile.Write(ref _status, _book.Status());
            Interlocked.Exchange(ref _statusRefreshed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))
                .TrySetResult();
        }
        catch (Exception ex)
        {
            MajordomoLog.BrokerTimerFault(_logger, ex);
        }
    }

    // ------------------------------------------------------------------ sending

    private static NetMQMessage StartReply(byte[] client, bool delimited, string service)
    {
        var reply = new NetMQMessage();
        reply.Append(client);
        if (delimited)
            reply.AppendEmptyFrame();
        reply.Append(WireConstants.ClientSignatureBytes);
        reply.Append(Encoding.UTF8.GetBytes(service));
        return reply;
    }

    bool IBrokerOutput.SendRequest(BrokerWorker worker, PendingRequest request)
    {
        var message = new NetMQMessage(6 + request.Body.Count);
        message.Append(worker.Identity);
        message.AppendEmptyFrame();
        message.Append(WorkerSignatureBytes);
        message.Append(new[] { (byte)Command.Request });
        message.Append(request.Client);
        if (request.Caller is { } caller)
            message.Append(AuthMessages.IdentityMap(caller.Key, caller.Name)); // the client as the broker proved it
        message.AppendEmptyFrame();
        foreach (var frame in request.Body)
            message.Append(frame);
        return Send(message);
    }

    /// <summary>
    /// An error reply from the broker itself: in the bridge protocol's form (header + error map) when the request
    /// was a bridge request, else two text frames, an MMI-style status code and a message (docs/protocol.md §9.5).
    /// </summary>
    void IBrokerOutput.Fail(PendingRequest request, string code, string status, string message,
        IReadOnlyDictionary<string, object?>? details)
    {
        var reply = StartReply(request.Client, request.HasDelimiter, request.Service);
        if (request.BridgeId is { } id)
        {
            ReplyBody.Failure(id, ErrorMap.Of(code, message, details), WireSerializer.BaseOptions).AppendTo(reply);
        }
        else
        {
            reply.Append(Encoding.ASCII.GetBytes(status));
            reply.Append(Encoding.UTF8.GetBytes(message));
        }
        Send(reply);
    }

    /// <inheritdoc cref="IBrokerOutput.SendToWorker"/>
    public void SendToWorker(byte[] identity, Command command)
    {
        var message = new NetMQMessage(4);
        message.Append(identity);
        message.AppendEmptyFrame();
        message.Append(WorkerSignatureBytes);
        message.Append(new[] { (byte)command });
        Send(message);
    }

    private bool Send(NetMQMessage message)
    {
        try
        {
            if (_router!.TrySendWithoutCopy(message, TimeSpan.Zero))
                return true;
            MajordomoLog.BrokerMessageDroppedQueueFull(_logger);
        }
        catch (HostUnreachableException)
        {
            MajordomoLog.BrokerMessageDroppedPeerLeft(_logger);
        }
        return false;
    }

    private static bool IsFrame(NetMQFrame frame, byte[] expected) =>
        frame.Buffer.AsSpan(0, frame.MessageSize).SequenceEqual(expected);
}
