using System.Reflection;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZeroBridge.Kernel.Execution;
using ZeroBridge.Kernel.Hosting;
using ZeroBridge.Kernel.Messaging;

namespace ZeroBridge.Kernel;

/// <summary>
/// A Jupyter kernel for C# (messaging protocol 5.3): Jupyter front-ends (JupyterLab, Notebook, VS Code,
/// <c>jupyter console</c>, nbclient) run cells through it. Shell requests are served one at a time, in order;
/// control requests (interrupt, shutdown) are served while a cell runs. Every message is signed and checked.
/// </summary>
/// <remarks>
/// Start one over your application's objects with <see cref="Start{TGlobals}"/> (or <c>services.AddJupyterKernel</c>
/// on the Generic Host); <c>zbridge kernel</c> runs the standalone kernel Jupyter starts from a kernelspec.
/// </remarks>
public sealed partial class JupyterKernel : IAsyncDisposable
{
    private readonly ICellEngine _engine;
    private readonly JupyterKernelOptions _options;
    private readonly ILogger _logger;
    private readonly KernelSockets _sockets;
    private readonly Channel<JupyterMessage> _shellQueue = Channel.CreateBounded<JupyterMessage>(
        new BoundedChannelOptions(1000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<JupyterMessage> _controlQueue = Channel.CreateBounded<JupyterMessage>(
        new BoundedChannelOptions(100) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _session = Guid.NewGuid().ToString("N");
    private readonly Task _shellLoop, _controlLoop;
    private readonly bool _ownsConnectionFile;
    private int _disposed;

    private JupyterKernel(ICellEngine engine, JupyterKernelOptions options, ILogger? logger)
    {
        _engine = engine;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        var connection = options.ConnectionFile is { } path ? ConnectionInfo.Read(path) : ConnectionInfo.CreateNew(options.Ip);
        _sockets = new KernelSockets(connection, options.MaxMessageBytes, _logger);
        if (options.ConnectionFile is { } given)
            ConnectionFile = Path.GetFullPath(given);
        else
        {
            ConnectionFile = options.ConnectionFileToWrite ?? Path.Combine(JupyterPaths.RuntimeDirectory(), $"kernel-zbridge-{Environment.ProcessId}.json");
            _sockets.Connection.Write(ConnectionFile);
            _ownsConnectionFile = true;
        }
        _sockets.Received = Enqueue;
        _sockets.Start();
        _shellLoop = Task.Run(() => ServeAsync(_shellQueue.Reader, KernelChannel.Shell));
        _controlLoop = Task.Run(() => ServeAsync(_controlQueue.Reader, KernelChannel.Control));
        Publish("status", new JsonObject { ["execution_state"] = "starting" }, null);
        KernelLog.KernelServing(_logger, ConnectionFile, engine.Description);
    }

    /// <summary>
    /// Starts a kernel whose cells run in this process against <paramref name="globals"/>: its public members are
    /// the cells' globals. Without <see cref="JupyterKernelOptions.ConnectionFile"/> it binds free loopback ports and
    /// writes a connection file to Jupyter's runtime directory (<see cref="ConnectionFile"/>), so
    /// <c>jupyter console --existing</c> finds it.
    /// </summary>
    public static JupyterKernel Start<TGlobals>(TGlobals globals, JupyterKernelOptions? options = null, ILogger? logger = null)
        where TGlobals : class
    {
        options ??= JupyterKernelOptions.Default;
        return new JupyterKernel(new ScriptEngine<TGlobals>(globals, options), options, logger);
    }

    /// <summary>
    /// Starts a kernel whose cells run inside a running application elsewhere, through its <c>csharp.run</c> script
    /// service over ZeroBridge (<paramref name="endpoint"/>: the application's server, or a broker in front of it).
    /// </summary>
    /// <param name="endpoint">The application's ZeroBridge endpoint; it must allow scripts.</param>
    /// <param name="clientOptions">The client's options (service name behind a broker, default timeout).</param>
    /// <param name="cellTimeout">The longest one cell may run in the application (it may stop it sooner).</param>
    /// <param name="options">The kernel's options.</param>
    /// <param name="logger">Logs dropped messages and failures.</param>
    public static JupyterKernel Attach(string endpoint, ZeroBridge.Client.ZeroBridgeClientOptions? clientOptions = null,
        TimeSpan? cellTimeout = null, JupyterKernelOptions? options = null, ILogger? logger = null) =>
        new(new Remote.AttachedEngine(endpoint, clientOptions ?? ZeroBridge.Client.ZeroBridgeClientOptions.Default,
            cellTimeout ?? TimeSpan.FromMinutes(5)), options ?? JupyterKernelOptions.Default, logger);

    /// <summary>The connection file front-ends connect with.</summary>
    public string ConnectionFile { get; }

    /// <summary>The ports and key the kernel serves.</summary>
    public ConnectionInfo Connection => _sockets.Connection;

    /// <summary>Completes when the kernel has stopped (a shutdown request, or <see cref="DisposeAsync"/>).</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>Stops serving: running cells are interrupted, the sockets closed, a connection file the kernel wrote deleted.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _stopped.Task.ConfigureAwait(false);
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        _shellQueue.Writer.TryComplete();
        _controlQueue.Writer.TryComplete();
        CancelCell();
        await Task.WhenAll(_shellLoop, _controlLoop).WaitAsync(_options.InterruptGrace + TimeSpan.FromSeconds(1))
            .ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false); // an abandoned cell does not hold up the stop
        _sockets.Dispose();
        _engine.Dispose();
        if (_ownsConnectionFile)
        {
            try
            {
                File.Delete(ConnectionFile);
            }
            catch (IOException ex)
            {
                KernelLog.ConnectionFileNotDeleted(_logger, ex, ConnectionFile);
            }
        }
        _stopped.TrySetResult();
    }

    private static string Version => typeof(JupyterKernel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        .Split('+')[0] ?? "0.0.0";

    /// <summary>On the socket thread: queue shell and control requests, answer input replies at once.</summary>
    private void Enqueue(KernelChannel channel, JupyterMessage message)
    {
        switch (channel)
        {
            case KernelChannel.Shell when !_shellQueue.Writer.TryWrite(message):
            case KernelChannel.Control when !_controlQueue.Writer.TryWrite(message):
                KernelLog.KernelRequestDropped(_logger, message.MessageType, channel);
                break;
            case KernelChannel.Stdin:
                ReceiveInput(message);
                break;
        }
    }

    private async Task ServeAsync(ChannelReader<JupyterMessage> queue, KernelChannel channel)
    {
        await foreach (var request in queue.ReadAllAsync().ConfigureAwait(false))
        {
            if (_stopping.IsCancellationRequested)
                break;
            Publish("status", new JsonObject { ["execution_state"] = "busy" }, request);
            try
            {
                await HandleAsync(request, channel).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                KernelLog.KernelRequestFailed(_logger, ex, request.MessageType);
                if (request.MessageType.EndsWith("_request", StringComparison.Ordinal))
                    Reply(channel, request, ErrorContent(ex.GetType().Name, ex.Message, []));
            }
            Publish("status", new JsonObject { ["execution_state"] = "idle" }, request);
        }
    }

    private Task HandleAsync(JupyterMessage request, KernelChannel channel) => request.MessageType switch
    {
        "execute_request" => ExecuteAsync(request, channel),
        "complete_request" => CompleteAsync(request, channel),
        "inspect_request" => InspectAsync(request, channel),
        "is_complete_request" => Done(IsComplete(request, channel)),
        "kernel_info_request" => Done(KernelInfo(request, channel)),
        "history_request" => Done(History(request, channel)),
        "comm_info_request" => Done(Reply(channel, request, new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() })),
        "comm_open" => Done(CloseComm(request)),
        "comm_msg" or "comm_close" => Task.CompletedTask, // no comms are open: nothing to deliver to
        "connect_request" => Done(Connect(request, channel)),
        "interrupt_request" => Done(Interrupt(request, channel)),
        "shutdown_request" => ShutdownAsync(request, channel),
        _ => Done(Unknown(request, channel)),
    };

    private static Task Done(bool _) => Task.CompletedTask;

    private bool Reply(KernelChannel channel, JupyterMessage request, JsonObject content)
    {
        string type = request.MessageType.EndsWith("_request", StringComparison.Ordinal)
            ? request.MessageType[..^"_request".Length] + "_reply"
            : request.MessageType + "_reply";
        _sockets.Send(channel, JupyterMessage.Create(type, content, request, _session, request.Identities));
        return true;
    }

    private void Publish(string type, JsonObject content, JupyterMessage? parent, JsonObject? metadata = null) =>
        _sockets.Send(KernelChannel.IOPub, JupyterMessage.Create(type, content, parent, _session, metadata: metadata));

    private static JsonObject ErrorContent(string name, string message, IEnumerable<string> traceback) => new()
    {
        ["status"] = "error",
        ["ename"] = name,
        ["evalue"] = message,
        ["traceback"] = new JsonArray(traceback.Select(line => (JsonNode?)JsonValue.Create(line)).ToArray()),
    };
}
