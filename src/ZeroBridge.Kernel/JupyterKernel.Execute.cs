using System.Text.Json;
using System.Text.Json.Nodes;
using ZeroBridge.Kernel.Display;
using ZeroBridge.Kernel.Editing;
using ZeroBridge.Kernel.Execution;
using ZeroBridge.Kernel.Messaging;

namespace ZeroBridge.Kernel;

// execute_request: busy, execute_input, streams and displays while the cell runs, execute_result or error, the
// reply, idle. Also the interrupt that stops a cell and the input requests a cell makes.
public sealed partial class JupyterKernel
{
    private readonly CellHistory _history = new();
    private readonly object _cellGate = new();
    private CancellationTokenSource? _cellInterrupt;
    private TaskCompletionSource<string>? _pendingInput;
    private int _executionCount;

    private async Task ExecuteAsync(JupyterMessage request, KernelChannel channel)
    {
        var content = request.Content;
        string code = JupyterMessage.Text(content, "code");
        bool silent = Flag(content, "silent", false);
        bool storeHistory = Flag(content, "store_history", !silent) && !silent;
        bool stopOnError = Flag(content, "stop_on_error", true);
        bool allowStdin = Flag(content, "allow_stdin", true);
        if (storeHistory)
            _executionCount++;
        int count = _executionCount;
        if (!silent)
            Publish("execute_input", new JsonObject { ["code"] = code, ["execution_count"] = count }, request);

        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        lock (_cellGate)
            _cellInterrupt = interrupt;
        CellOutcome outcome;
        List<MimeBundle> pages;
        var publisher = new CellPublisher(this, request, allowStdin, interrupt.Token);
        using (var cell = new CellChannel(publisher, _options.MaxOutputBytesPerCell, _options.OutputFlushInterval))
        {
            try
            {
                outcome = SubmissionParser.HelpTarget(code) is { } target
                    ? await PageHelpAsync(target, cell, interrupt.Token).ConfigureAwait(false)
                    : await _engine.ExecuteAsync(code, cell, interrupt.Token).ConfigureAwait(false);
            }
            finally
            {
                lock (_cellGate)
                    _cellInterrupt = null;
                pages = cell.TakePages();
            }
        }

        string? shown = null;
        if (outcome.Error is { } error)
        {
            Publish("error", new JsonObject
            {
                ["ename"] = error.Name,
                ["evalue"] = error.Message,
                ["traceback"] = Lines(error.Traceback),
            }, request);
            var reply = ErrorContent(error.Name, error.Message, error.Traceback);
            reply["execution_count"] = count;
            reply["user_expressions"] = new JsonObject();
            reply["payload"] = new JsonArray();
            // Take the executions queued behind this cell before its reply goes out: a front-end that sends its next
            // cell on seeing the reply must have it run, not aborted.
            var queuedBehind = stopOnError ? TakeQueuedExecutions() : [];
            Reply(channel, request, reply);
            foreach (var queued in queuedBehind)
                Abort(queued);
        }
        else
        {
            if (!silent && outcome.HasValue && outcome.Value is not null and not DisplayHandle)
            {
                var bundle = MimeFormatter.Format(outcome.Value);
                shown = bundle.PlainText;
                Publish("execute_result", new JsonObject
                {
                    ["execution_count"] = count,
                    ["data"] = ToJson(bundle.Data),
                    ["metadata"] = ToJson(bundle.Metadata),
                }, request);
            }
            Reply(channel, request, new JsonObject
            {
                ["status"] = "ok",
                ["execution_count"] = count,
                ["user_expressions"] = new JsonObject(),
                ["payload"] = PagePayloads(silent ? [] : pages),
            });
        }
        if (storeHistory)
            _history.Add(count, code, shown);
    }

    /// <summary>
    /// A help request (<c>Math.Max?</c>): what the editor's inspection says about the name goes to the pager, as
    /// IPython pages <c>obj?</c>; a name nothing is known about is said so on stdout.
    /// </summary>
    private async Task<CellOutcome> PageHelpAsync(string target, CellChannel cell, CancellationToken interrupt)
    {
        string? found = await _engine.InspectAsync(target, target.Length, interrupt).ConfigureAwait(false);
        if (found is null)
            cell.Write(Scripting.ConsoleStream.Out, $"Object `{target}` not found.\n");
        else
            cell.Page(new MimeBundle(new Dictionary<string, object> { ["text/plain"] = found }));
        return CellOutcome.Nothing;
    }

    /// <summary>The execute reply's payload: one <c>page</c> entry per page, as front-ends read them.</summary>
    private static JsonArray PagePayloads(List<MimeBundle> pages)
    {
        var payload = new JsonArray();
        foreach (var page in pages)
            payload.Add(new JsonObject { ["source"] = "page", ["data"] = ToJson(page.Data), ["start"] = 0 });
        return payload;
    }

    /// <summary>
    /// After a failed cell with stop_on_error: the executions already queued behind it, taken out of the queue (other
    /// requests stay, in order), to be answered "aborted" instead of run.
    /// </summary>
    private List<JupyterMessage> TakeQueuedExecutions()
    {
        var executions = new List<JupyterMessage>();
        var keep = new List<JupyterMessage>();
        while (_shellQueue.Reader.TryRead(out var queued))
            (queued.MessageType == "execute_request" ? executions : keep).Add(queued);
        foreach (var other in keep)
            _shellQueue.Writer.TryWrite(other);
        return executions;
    }

    private void Abort(JupyterMessage queued)
    {
        Publish("status", new JsonObject { ["execution_state"] = "busy" }, queued);
        Reply(KernelChannel.Shell, queued, new JsonObject { ["status"] = "aborted", ["execution_count"] = _executionCount });
        Publish("status", new JsonObject { ["execution_state"] = "idle" }, queued);
    }

    private bool Interrupt(JupyterMessage request, KernelChannel channel)
    {
        CancelCell();
        return Reply(channel, request, new JsonObject { ["status"] = "ok" });
    }

    private void CancelCell()
    {
        lock (_cellGate)
        {
            _cellInterrupt?.Cancel();
            _pendingInput?.TrySetCanceled();
        }
    }

    /// <summary>On the socket thread: an input_reply answers the cell waiting in Console.ReadLine.</summary>
    private void ReceiveInput(JupyterMessage message)
    {
        if (message.MessageType != "input_reply")
        {
            KernelLog.StdinMessageIgnored(_logger, message.MessageType);
            return;
        }
        lock (_cellGate)
            _pendingInput?.TrySetResult(JupyterMessage.Text(message.Content, "value"));
    }

    private static bool Flag(JsonObject content, string name, bool otherwise) =>
        content[name] is JsonValue value && value.TryGetValue(out bool flag) ? flag : otherwise;

    private static JsonArray Lines(IEnumerable<string> lines) => new(lines.Select(line => (JsonNode?)JsonValue.Create(line)).ToArray());

    private static JsonObject ToJson(IReadOnlyDictionary<string, object> values)
    {
        var json = new JsonObject();
        foreach (var (key, value) in values)
            json[key] = value is string text ? JsonValue.Create(text) : JsonSerializer.SerializeToNode(value);
        return json;
    }

    /// <summary>A cell's output, published under its execute_request.</summary>
    private sealed class CellPublisher(JupyterKernel kernel, JupyterMessage request, bool allowStdin, CancellationToken interrupt)
        : ICellPublisher
    {
        public void PublishStream(string name, string text) =>
            kernel.Publish("stream", new JsonObject { ["name"] = name, ["text"] = text }, request);

        public void PublishDisplay(MimeBundle bundle, string displayId, bool update) =>
            kernel.Publish(update ? "update_display_data" : "display_data", new JsonObject
            {
                ["data"] = ToJson(bundle.Data),
                ["metadata"] = ToJson(bundle.Metadata),
                ["transient"] = new JsonObject { ["display_id"] = displayId },
            }, request);

        public void PublishClearOutput(bool wait) =>
            kernel.Publish("clear_output", new JsonObject { ["wait"] = wait }, request);

        public string RequestInput(string prompt)
        {
            if (!allowStdin)
                throw new InvalidOperationException("This front-end does not take input (allow_stdin is false): the cell cannot read the console.");
            var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (kernel._cellGate)
            {
                if (interrupt.IsCancellationRequested)
                    throw new OperationCanceledException(interrupt);
                kernel._pendingInput = answer;
            }
            try
            {
                kernel._sockets.Send(KernelChannel.Stdin, JupyterMessage.Create("input_request",
                    new JsonObject { ["prompt"] = prompt, ["password"] = false }, request, kernel._session, request.Identities));
                return answer.Task.WaitAsync(interrupt).GetAwaiter().GetResult();
            }
            finally
            {
                lock (kernel._cellGate)
                    kernel._pendingInput = null;
            }
        }
    }
}
