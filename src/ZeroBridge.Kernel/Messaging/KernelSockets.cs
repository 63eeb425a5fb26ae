using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;

namespace ZeroBridge.Kernel.Messaging;

/// <summary>Which of the kernel's sockets a message travels on.</summary>
public enum KernelChannel
{
    /// <summary>Requests and replies.</summary>
    Shell,
    /// <summary>Interrupt, shutdown: served while a cell runs.</summary>
    Control,
    /// <summary>Input requests to the front-end.</summary>
    Stdin,
    /// <summary>Broadcast output.</summary>
    IOPub,
}

/// <summary>
/// The kernel's five sockets on one poller thread (NetMQ sockets are not thread-safe): it answers heartbeats, hands
/// decoded requests to <see cref="Received"/> and sends what any thread queues with <see cref="Send"/>, in order.
/// Messages with a wrong signature or that are not Jupyter messages are dropped and logged.
/// </summary>
internal sealed class KernelSockets : IDisposable
{
    private readonly RouterSocket _shell = new(), _control = new(), _stdin = new();
    private readonly PublisherSocket _iopub = new();
    private readonly ResponseSocket _heartbeat = new();
    private readonly NetMQQueue<(KernelChannel Channel, JupyterMessage Message)> _outbox = new();
    private readonly NetMQPoller _poller;
    private readonly MessageCodec _codec;
    private readonly ILogger _logger;

    /// <summary>Binds every socket (port 0 picks a free one) and reads back the ports bound.</summary>
    public KernelSockets(ConnectionInfo connection, long maxMessageBytes, ILogger logger)
    {
        _codec = new MessageCodec(new MessageSigner(connection.Key));
        _logger = logger;
        foreach (var socket in new NetMQSocket[] { _shell, _control, _stdin, _iopub, _heartbeat })
        {
            socket.Options.Linger = TimeSpan.Zero;
            socket.Options.MaxMsgSize = maxMessageBytes;
        }
        _iopub.Options.SendHighWatermark = 10_000; // a slow front-end loses output rather than the kernel its memory
        Connection = connection with
        {
            ShellPort = Bind(_shell, connection.ShellPort),
            ControlPort = Bind(_control, connection.ControlPort),
            StdinPort = Bind(_stdin, connection.StdinPort),
            IOPubPort = Bind(_iopub, connection.IOPubPort),
            HeartbeatPort = Bind(_heartbeat, connection.HeartbeatPort),
        };
        _shell.ReceiveReady += (_, e) => Receive(KernelChannel.Shell, e.Socket);
        _control.ReceiveReady += (_, e) => Receive(KernelChannel.Control, e.Socket);
        _stdin.ReceiveReady += (_, e) => Receive(KernelChannel.Stdin, e.Socket);
        _heartbeat.ReceiveReady += (_, e) => Echo(e.Socket);
        _outbox.ReceiveReady += (_, _) => SendQueued();
        _poller = new NetMQPoller { _shell, _control, _stdin, _iopub, _heartbeat, _outbox };

        int Bind(NetMQSocket socket, int port)
        {
            if (port != 0)
            {
                socket.Bind(connection.Endpoint(port));
                return port;
            }
            socket.Bind(connection.Endpoint(0));
            var bound = socket.Options.LastEndpoint ?? throw new InvalidOperationException("the socket did not report its endpoint");
            return int.Parse(bound[(bound.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The connection with the ports actually bound.</summary>
    public ConnectionInfo Connection { get; }

    /// <summary>Called on the poller thread for every valid request on shell, control or stdin; must not block.</summary>
    public Action<KernelChannel, JupyterMessage>? Received { get; set; }

    /// <summary>Starts the poller thread.</summary>
    public void Start() => _poller.RunAsync("Jupyter kernel sockets", true);

    /// <summary>Queues a message to send on a channel; safe from any thread.</summary>
    public void Send(KernelChannel channel, JupyterMessage message)
    {
        if (!_poller.IsDisposed)
            _outbox.Enqueue((channel, message));
    }

    /// <summary>Sends what is queued, then stops the poller and closes every socket.</summary>
    public void Dispose()
    {
        if (_poller.IsRunning)
        {
            _poller.Run(SendQueued);
            _poller.Stop();
        }
        _poller.Dispose();
        foreach (var socket in new NetMQSocket[] { _shell, _control, _stdin, _iopub, _heartbeat })
            socket.Dispose();
        _outbox.Dispose();
    }

    private void Receive(KernelChannel channel, NetMQSocket socket)
    {
        // A bounded batch per wake-up, so one busy socket cannot starve the others.
        for (int i = 0; i < 100; i++)
        {
            var frames = new NetMQMessage();
            if (!socket.TryReceiveMultipartMessage(ref frames))
                return;
            JupyterMessage message;
            try
            {
                message = _codec.Decode(frames);
            }
            catch (InvalidMessageException ex)
            {
                MessagingLog.MessageDropped(_logger, channel, ex.Message);
                continue;
            }
            try
            {
                Received?.Invoke(channel, message);
            }
            catch (Exception ex)
            {
                MessagingLog.MessageHandlingFailed(_logger, ex, message.MessageType, channel);
            }
        }
    }

    private static void Echo(NetMQSocket socket)
    {
        var ping = new NetMQMessage();
        if (socket.TryReceiveMultipartMessage(ref ping))
            socket.SendMultipartMessage(ping);
    }

    private void SendQueued()
    {
        while (_outbox.TryDequeue(out var item, TimeSpan.Zero))
        {
            var socket = item.Channel switch
            {
                KernelChannel.Shell => (NetMQSocket)_shell,
                KernelChannel.Control => _control,
                KernelChannel.Stdin => _stdin,
                _ => _iopub,
            };
            // ROUTER drops messages to vanished peers, PUB drops at its high-water mark: a send never blocks the loop.
            socket.TrySendMultipartMessage(_codec.Encode(item.Message));
        }
    }
}
