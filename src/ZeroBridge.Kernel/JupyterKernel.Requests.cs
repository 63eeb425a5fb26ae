using System.Text.Json.Nodes;
using ZeroBridge.Kernel.Editing;
using ZeroBridge.Kernel.Execution;
using ZeroBridge.Kernel.Messaging;

namespace ZeroBridge.Kernel;

// The editor's requests (complete, inspect, is_complete), kernel_info, history, comms, connect, shutdown, and the
// answer to request types this kernel does not know.
public sealed partial class JupyterKernel
{
    private static readonly TimeSpan EditorTimeout = TimeSpan.FromSeconds(30); // the first completion loads Roslyn's providers

    private async Task CompleteAsync(JupyterMessage request, KernelChannel channel)
    {
        string code = JupyterMessage.Text(request.Content, "code");
        int cursor = Cursor(request.Content, code);
        using var timeout = new CancellationTokenSource(EditorTimeout);
        var list = await _engine.CompleteAsync(code, cursor, timeout.Token).ConfigureAwait(false);
        Reply(channel, request, new JsonObject
        {
            ["status"] = "ok",
            ["matches"] = Lines(list.Matches),
            ["cursor_start"] = CodePoints.FromUtf16(code, list.Start),
            ["cursor_end"] = CodePoints.FromUtf16(code, list.End),
            ["metadata"] = new JsonObject(),
        });
    }

    private async Task InspectAsync(JupyterMessage request, KernelChannel channel)
    {
        string code = JupyterMessage.Text(request.Content, "code");
        using var timeout = new CancellationTokenSource(EditorTimeout);
        string? found = await _engine.InspectAsync(code, Cursor(request.Content, code), timeout.Token).ConfigureAwait(false);
        Reply(channel, request, new JsonObject
        {
            ["status"] = "ok",
            ["found"] = found is not null,
            ["data"] = found is null ? new JsonObject() : new JsonObject { ["text/plain"] = found },
            ["metadata"] = new JsonObject(),
        });
    }

    private bool IsComplete(JupyterMessage request, KernelChannel channel)
    {
        var (status, indent) = SubmissionParser.IsComplete(JupyterMessage.Text(request.Content, "code"));
        var reply = new JsonObject { ["status"] = status };
        if (status == "incomplete")
            reply["indent"] = indent;
        return Reply(channel, request, reply);
    }

    private bool KernelInfo(JupyterMessage request, KernelChannel channel) => Reply(channel, request, new JsonObject
    {
        ["status"] = "ok",
        ["protocol_version"] = JupyterMessage.ProtocolVersion,
        ["implementation"] = "zerobridge",
        ["implementation_version"] = Version,
        ["language_info"] = new JsonObject
        {
            ["name"] = "C#",
            ["version"] = "13.0",
            ["mimetype"] = "text/x-csharp",
            ["file_extension"] = ".cs",
            ["pygments_lexer"] = "csharp",
            ["codemirror_mode"] = "text/x-csharp",
        },
        ["banner"] = $"C# (ZeroBridge {Version}, .NET {Environment.Version}): {_engine.Description}",
        ["help_links"] = new JsonArray(new JsonObject { ["text"] = "ZeroBridge", ["url"] = "https://github.com/zerobridge/zerobridge" }),
        ["debugger"] = false,
    });

    private bool History(JupyterMessage request, KernelChannel channel) =>
        Reply(channel, request, new JsonObject { ["status"] = "ok", ["history"] = _history.Query(request.Content) });

    /// <summary>This kernel has no comm targets: a comm a front-end opens is closed at once, as the spec asks.</summary>
    private bool CloseComm(JupyterMessage request)
    {
        Publish("comm_close", new JsonObject { ["comm_id"] = JupyterMessage.Text(request.Content, "comm_id"), ["data"] = new JsonObject() }, request);
        return true;
    }

    private bool Connect(JupyterMessage request, KernelChannel channel) => Reply(channel, request, new JsonObject
    {
        ["status"] = "ok",
        ["shell_port"] = Connection.ShellPort,
        ["iopub_port"] = Connection.IOPubPort,
        ["stdin_port"] = Connection.StdinPort,
        ["control_port"] = Connection.ControlPort,
        ["hb_port"] = Connection.HeartbeatPort,
    });

    private async Task ShutdownAsync(JupyterMessage request, KernelChannel channel)
    {
        bool restart = Flag(request.Content, "restart", false);
        var content = new JsonObject { ["status"] = "ok", ["restart"] = restart };
        if (!_options.StopOnShutdownRequest)
        {
            // An embedded kernel never stops its application: a restart starts the cells over, a shutdown only detaches.
            // The cells are reset before the reply: a client sends its next cell as soon as it has the reply.
            if (restart)
            {
                CancelCell();
                _engine.Reset();
                _executionCount = 0;
            }
            Reply(channel, request, content);
            Publish("shutdown_reply", (JsonObject)content.DeepClone(), request);
            KernelLog.ShutdownServedInApplication(_logger, restart);
            return;
        }
        Reply(channel, request, content);
        Publish("shutdown_reply", (JsonObject)content.DeepClone(), request);
        KernelLog.ShutdownStopping(_logger, restart);
        Publish("status", new JsonObject { ["execution_state"] = "idle" }, request);
        _ = Task.Run(async () => await DisposeAsync().ConfigureAwait(false));
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>A request type this kernel does not know gets an error reply saying so; other messages are logged.</summary>
    private bool Unknown(JupyterMessage request, KernelChannel channel)
    {
        KernelLog.UnknownMessageType(_logger, request.MessageType, channel);
        if (!request.MessageType.EndsWith("_request", StringComparison.Ordinal))
            return false;
        return Reply(channel, request, ErrorContent("UnknownMessageType",
            $"This kernel does not serve '{request.MessageType}' (Jupyter messaging protocol {JupyterMessage.ProtocolVersion}).", []));
    }

    private static int Cursor(JsonObject content, string code) =>
        content["cursor_pos"] is JsonValue value && value.TryGetValue(out double cursor)
            ? CodePoints.ToUtf16(code, (int)Math.Clamp(cursor, 0, int.MaxValue))
            : code.Length;
}
