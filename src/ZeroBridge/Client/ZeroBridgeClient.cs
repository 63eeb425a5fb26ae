using System.Diagnostics;
using System.Collections.Concurrent;
using System.Text;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Execution;
using ZeroBridge.Protocol;
using ZeroBridge.Security;
using ZeroBridge.Serialization;
using ZeroBridge.Serialization.Columnar;
using ZeroBridge.Transport;

namespace ZeroBridge.Client;

/// <summary>
/// Calls the commands of a ZeroBridge server from .NET. Thread-safe: any number of calls may be in flight at
/// once over one DEALER socket; replies are matched to calls by request id.
/// </summary>
/// <example>
/// <code>
/// await using var client = new ZeroBridgeClient("tcp://127.0.0.1:5555");
/// int sum = await client.CallAsync&lt;int&gt;("add", new { a = 1, b = 2 });
/// </code>
/// </example>
public sealed class ZeroBridgeClient : IZeroBridgeComponent
{
    private readonly ZeroBridgeClientOptions _options;
    private readonly SocketLoop _loop = new();
    private readonly DealerSocket _socket;
    private readonly NetMQQueue<NetMQMessage> _outgoing;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<(byte[][] Frames, bool Ok)>> _pending = new();
    private long _nextId;
    private int _state;
    private int _heardFromServer; // 1 once any message arrived: the CURVE handshake, if any, completed
    private readonly object _proofLock = new(); // not System.Threading.Lock: the package targets net8.0 too
    private Task? _proof; // the last proof of this client's key on the connection (docs/security.md)

    /// <summary>Connects to a server (the connection is made in the background; calls wait for it).</summary>
    /// <exception cref="ZeroBridgeTransportException">The endpoint cannot be connected to (unknown transport, malformed address).</exception>
    public ZeroBridgeClient(string endpoint, ZeroBridgeClientOptions? options = null)
    {
        Endpoint = endpoint;
        _options = options ?? ZeroBridgeClientOptions.Default;
        var socket = new DealerSocket();
        socket.Options.Linger = TimeSpan.Zero;
        socket.UseCurveClient(_options.ServerKey, _options.Certificate?.ToNetMQ());
        try
        {
            // ZeroMQ connects in the background: this fails only for an endpoint it cannot use at all.
            socket.Connect(endpoint);
        }
        catch (Exception ex) when (ex is NetMQException or ArgumentException or FormatException or System.Net.Sockets.SocketException)
        {
            socket.Dispose();
            _loop.Dispose(); // its poller holds sockets of its own
            throw new ZeroBridgeTransportException($"Cannot connect to '{endpoint}': {ex.Message}", ex);
        }
        _socket = _loop.Own(socket);
        _socket.ReceiveReady += OnReplyReady;
        _outgoing = _loop.Queue<NetMQMessage>(message => _socket.SendMultipartMessage(message), batch: int.MaxValue);
        _loop.Start($"ZeroBridge client {endpoint}");
        _state = ComponentState.Started;
    }

    /// <summary>The endpoint this client talks to.</summary>
    public string Endpoint { get; }

    /// <summary>Calls a command and returns its result as <typeparamref name="T"/>.</summary>
    /// <param name="command">The command name, e.g. <c>orders.recent</c>.</param>
    /// <param name="arguments">Keyword arguments: an anonymous object (<c>new { n = 5 }</c>), a dictionary, or null.</param>
    /// <param name="timeout">How long to wait; null for the client's default.</param>
    /// <param name="cancellationToken">Gives up on the call (the server is told, and cancels the command).</param>
    /// <exception cref="ZeroBridgeRemoteException">The server answered with an error.</exception>
    /// <exception cref="ZeroBridgeTimeoutException">No reply came in time.</exception>
    /// <exception cref="ZeroBridgeAuthenticationException">With <see cref="ZeroBridgeClientOptions.ServerKey"/> set, no reply came and nothing ever arrived: the CURVE handshake most likely did not complete.</exception>
    public Task<T?> CallAsync<T>(string command, object? arguments = null, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        InvokeAsync<T>(command, [], ToKeywordArguments(arguments), timeout, cancellationToken);

    /// <summary>Calls a command with positional arguments and returns its result as <typeparamref name="T"/>.</summary>
    public Task<T?> CallPositionalAsync<T>(string command, IReadOnlyList<object?> arguments, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        InvokeAsync<T>(command, arguments, new Dictionary<string, object?>(), timeout, cancellationToken);

    /// <summary>Calls a command and returns its result as a natural .NET value (see docs/protocol.md §4).</summary>
    public Task<object?> CallAsync(string command, object? arguments = null, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) => CallAsync<object>(command, arguments, timeout, cancellationToken);

    /// <summary>The blocking form of <see cref="CallAsync{T}"/>.</summary>
    public T? Call<T>(string command, object? arguments = null, TimeSpan? timeout = null) =>
        CallAsync<T>(command, arguments, timeout).GetAwaiter().GetResult();

    /// <summary>Checks that the server answers.</summary>
    public async Task<bool> PingAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        await CallAsync<string>("ping", null, timeout, cancellationToken).ConfigureAwait(false) == "pong";

    /// <summary>
    /// Does nothing: a client connects when it is created (in the background; calls wait for the connection). It is
    /// here so that a host starts a client like any other component.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>Sends what is queued, closes the socket; calls still waiting fail with <see cref="ObjectDisposedException"/>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!ComponentState.BeginStop(ref _state, _loop))
            return;
        await _loop.StopAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var pending in _pending.Values)
            pending.TrySetException(new ObjectDisposedException(nameof(ZeroBridgeClient)));
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>Closes the socket; calls still waiting fail with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    private async Task<T?> InvokeAsync<T>(string command, IReadOnlyList<object?> positional,
        IReadOnlyDictionary<string, object?> keyword, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        // The call's client span; its id travels in the header, so the server's span continues this trace.
        using var activity = ZeroBridgeDiagnostics.Source.StartActivity(command, ActivityKind.Client);
        activity?.SetTag("rpc.system", "zerobridge");
        activity?.SetTag("rpc.method", command);
        var (frames, ok) = await SendAsync(command, positional, keyword, timeout, cancellationToken).ConfigureAwait(false);
        var attachments = Attachments(frames);
        if (!ok)
            throw RemoteError(frames[0], attachments);
        var chunked = new ChunkedTables();
        T? value;
        try
        {
            value = (T?)WireSerializer.Deserialize(typeof(T), frames[0], attachments, chunked);
        }
        catch (ZeroBridgeSerializationException)
        {
            CloseTables(TableCursors(frames[0], attachments));
            throw;
        }
        if (chunked.Pending.Count == 0)
            return value;
        value = default; // the first read holds only first chunks; the second, below, holds the whole tables
        await FetchChunksAsync(chunked, timeout, cancellationToken).ConfigureAwait(false);
        chunked.Rewind();
        return (T?)WireSerializer.Deserialize(typeof(T), frames[0], attachments, chunked);
    }

    /// <summary>
    /// Fetches the remaining chunks of every table of a reply that came in chunks, with <c>table.next</c>, each within
    /// the call's timeout (docs/protocol.md §10.3). On any failure or cancellation the cursors still open are closed
    /// with <c>table.close</c>, so the server lets go of those tables at once.
    /// </summary>
    private async Task FetchChunksAsync(ChunkedTables chunked, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var assemblers = new TableAssembler?[chunked.Pending.Count];
        try
        {
            for (int t = 0; t < chunked.Pending.Count; t++)
            {
                var (index, first) = chunked.Pending[t];
                var assembler = assemblers[t] = new TableAssembler(first);
                while (assembler.More is { } cursor)
                {
                    // Never sent twice: a repeated table.next would skip a chunk.
                    var (frames, ok) = await SendAsync("table.next", [], new Dictionary<string, object?> { ["cursor"] = cursor },
                        timeout, cancellationToken, retries: 0).ConfigureAwait(false);
                    var attachments = Attachments(frames);
                    if (!ok)
                        throw RemoteError(frames[0], attachments);
                    assembler.Add(WireSerializer.DeserializeTableChunk(frames[0], attachments));
                }
                chunked.Resolve(index, assembler.ToTable());
                assemblers[t] = null; // the whole table is held by the second read now
            }
        }
        catch
        {
            CloseTables(chunked.Pending.Select((p, t) => assemblers[t] is { } a ? a.More : chunked.Resolved(p.Index) ? null : p.First.More));
            throw;
        }
    }

    /// <summary>
    /// The cursors of the chunked tables in a reply that could not be read as the type asked for (which may have
    /// failed before meeting them): read again as plain values, to find them.
    /// </summary>
    private static IEnumerable<string?> TableCursors(byte[] payload, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        var scan = new ChunkedTables();
        try
        {
            WireSerializer.Deserialize(typeof(object), payload, attachments, scan);
        }
        catch (ZeroBridgeSerializationException)
        {
            // Whatever tables came before the broken part are in the scan; nothing more can be found.
        }
        return scan.Pending.Select(p => p.First.More);
    }

    /// <summary>Tells the server to let go of tables this client will not read to their end (no reply is awaited).</summary>
    private void CloseTables(IEnumerable<string?> cursors)
    {
        if (Volatile.Read(ref _state) != ComponentState.Started)
            return;
        foreach (var cursor in cursors)
        {
            if (cursor is null)
                continue;
            _ = SendAsync("table.close", [], new Dictionary<string, object?> { ["cursor"] = cursor }, null, CancellationToken.None, retries: 0)
                .ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    private static ReadOnlyMemory<byte>[] Attachments(byte[][] frames) => frames.Skip(1).Select(f => (ReadOnlyMemory<byte>)f).ToArray();

    private async Task<(byte[][] Frames, bool Ok)> SendAsync(string command, IReadOnlyList<object?> positional,
        IReadOnlyDictionary<string, object?> keyword, TimeSpan? timeout, CancellationToken cancellationToken, int? retries = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) != ComponentState.Started, this);
        var wait = timeout ?? _options.Timeout;
        var attachments = new List<ReadOnlyMemory<byte>>();
        byte[] arguments = WireSerializer.Serialize(typeof(object[]), new object[] { positional.ToArray(), keyword }, attachments);
        int attempts = Math.Max(0, retries ?? _options.Retries) + 1;
        bool proved = false;
        for (int attempt = 1; ; attempt++)
        {
            var proofAtSend = Volatile.Read(ref _proof);
            long id = Interlocked.Increment(ref _nextId);
            var message = Request(Header(id, command, wait));
            message.Append(arguments);
            foreach (var attachment in attachments)
                message.Append(Frames.Of(attachment));

            var completion = new TaskCompletionSource<(byte[][], bool)>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[id] = completion;
            _outgoing.Enqueue(message);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(wait);
            try
            {
                var reply = await completion.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
                // The server has an allow-list and this connection (new, or reconnected) has not proved our key: prove
                // it and send again; the refused request never ran.
                if (!reply.Item2 && !proved && _options.Certificate is not null && !AuthMessages.IsAuthCommand(command)
                    && ErrorCode(reply.Item1) == ErrorCodes.Unauthenticated)
                {
                    proved = true;
                    attempt--;
                    await ProveAsync(proofAtSend, wait, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                // A broker's service_unavailable means the request never ran: always safe to send again.
                if (attempt < attempts && !reply.Item2 && IsServiceUnavailable(reply.Item1))
                    continue;
                return reply;
            }
            catch (OperationCanceledException) when (!completion.Task.IsCompleted)
            {
                _pending.TryRemove(id, out _);
                SendCancel(id);
                if (cancellationToken.IsCancellationRequested)
                    throw;
                if (attempt < attempts)
                    continue;
                string tries = attempts > 1 ? $" (tried {attempts} times)" : "";
                if (_options.ServerKey is not null && Volatile.Read(ref _heardFromServer) == 0)
                    throw new ZeroBridgeAuthenticationException(
                        $"No reply from {Endpoint} to '{command}' within {wait.TotalSeconds:0.###} s{tries}, and nothing has " +
                        "ever arrived on this CURVE connection: the handshake most likely did not complete. Check that " +
                        "ServerKey is the server's public key (its NAME.key file) and that the server uses CURVE.");
                throw new ZeroBridgeTimeoutException($"No reply from {Endpoint} to '{command}' within {wait.TotalSeconds:0.###} s{tries}.");
            }
        }
    }

    /// <summary>
    /// Proves this client's key on the current connection (<c>auth.hello</c>, then <c>auth.prove</c>; docs/protocol.md
    /// §15), once for all the calls that were refused under the same earlier proof.
    /// </summary>
    /// <exception cref="ZeroBridgeRemoteException">The server refused the proof (<c>unauthenticated</c>: e.g. the key is not on its allow-list).</exception>
    private Task ProveAsync(Task? refusedUnder, TimeSpan wait, CancellationToken cancellationToken)
    {
        lock (_proofLock)
        {
            if (_proof is null || _proof == refusedUnder || _proof.IsFaulted || _proof.IsCanceled)
                _proof = Prove(wait, cancellationToken);
            return _proof;
        }

        async Task Prove(TimeSpan wait, CancellationToken cancellationToken)
        {
            var none = new Dictionary<string, object?>();
            var (hello, helloOk) = await SendAsync(AuthMessages.Hello, [], none, wait, cancellationToken, retries: 0).ConfigureAwait(false);
            if (!helloOk)
                throw RemoteError(hello[0], Attachments(hello));
            byte[] challenge = AuthMessages.ReadHelloReply(hello[0]);
            var (nonce, box) = ClientProof.Create(_options.ServerKey!, _options.Certificate!, challenge);
            var proof = new Dictionary<string, object?>
            {
                ["key"] = _options.Certificate!.PublicKey,
                ["challenge"] = challenge,
                ["nonce"] = nonce,
                ["proof"] = box,
            };
            var (reply, ok) = await SendAsync(AuthMessages.Prove, [], proof, wait, cancellationToken, retries: 0).ConfigureAwait(false);
            if (!ok)
                throw RemoteError(reply[0], Attachments(reply));
        }
    }

    private static string? ErrorCode(byte[][] frames)
    {
        try
        {
            return ErrorMap.Decode(frames[0], WireSerializer.ForReading([])).Code;
        }
        catch (ZeroBridgeProtocolException)
        {
            return null;
        }
    }

    private void SendCancel(long id)
    {
        if (Volatile.Read(ref _state) == ComponentState.Started)
            _outgoing.Enqueue(Request(CancelHeader(id)));
    }

    /// <summary>A request message: delimiter, signature, service, header (docs/protocol.md §2); the caller appends the rest.</summary>
    private NetMQMessage Request(byte[] header)
    {
        var message = new NetMQMessage();
        message.AppendEmptyFrame();
        message.Append(WireConstants.ClientSignatureBytes);
        message.Append(Encoding.UTF8.GetBytes(_options.Service));
        message.Append(header);
        return message;
    }

    private static byte[] Header(long id, string command, TimeSpan timeout)
    {
        var trace = Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current : null;
        return RequestHeader.WriteCall(id, command, timeout, AcceptedEncodings, trace?.Id, trace?.TraceStateString);
    }

    /// <summary>The optional encodings this client reads (§2 header key <c>accept</c>).</summary>
    private static readonly string[] AcceptedEncodings = [WireConstants.Accept.Dictionary];

    private static byte[] CancelHeader(long id) => RequestHeader.WriteCancel(id);

    private void OnReplyReady(object? sender, NetMQSocketEventArgs e)
    {
        var message = new NetMQMessage();
        while (e.Socket.TryReceiveMultipartMessage(ref message))
        {
            Volatile.Write(ref _heardFromServer, 1);
            // [empty] "MDPC01" service header payload attachments...
            int start = message.FrameCount > 0 && message[0].MessageSize == 0 ? 1 : 0;
            if (message.FrameCount - start < 4)
                continue; // not a reply of ours; nothing is waiting on it
            if (!ReplyHeader.TryRead(message[start + 2].ToByteArray(), out long id, out bool ok))
                continue;
            var frames = message.Skip(start + 3).Select(f => f.ToByteArray()).ToArray();
            if (_pending.TryRemove(id, out var completion))
                completion.TrySetResult((frames, ok)); // a reply to a call that gave up finds nobody, and is dropped
            message = new NetMQMessage();
        }
    }

    private static bool IsServiceUnavailable(byte[][] frames) => ErrorCode(frames) == BrokerErrorCodes.ServiceUnavailable;

    private static ZeroBridgeRemoteException RemoteError(byte[] payload, IReadOnlyList<ReadOnlyMemory<byte>> attachments) =>
        ErrorMap.Decode(payload, WireSerializer.ForReading(attachments)).ToException();

    private static Dictionary<string, object?> ToKeywordArguments(object? arguments) => arguments switch
    {
        null => new Dictionary<string, object?>(),
        IReadOnlyDictionary<string, object?> readOnly => readOnly.ToDictionary(p => p.Key, p => p.Value),
        IDictionary<string, object?> dictionary => dictionary.ToDictionary(p => p.Key, p => p.Value),
        _ => arguments.GetType().GetProperties().Where(p => p.CanRead && p.GetIndexParameters().Length == 0)
            .ToDictionary(p => p.Name, p => p.GetValue(arguments)),
    };
}
