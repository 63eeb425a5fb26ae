using System.Collections;
using ZeroBridge.Client;
using ZeroBridge.Kernel.Editing;
using ZeroBridge.Kernel.Execution;
using ZeroBridge.Protocol;
using ZeroBridge.Scripting;
using ZeroBridge.Scripting.Editing;

namespace ZeroBridge.Kernel.Remote;

/// <summary>
/// Runs cells inside a running application elsewhere: each cell is a <c>csharp.run</c> call to the application's
/// script service over ZeroBridge (the application must allow scripts), in one script session per kernel. While the
/// cell runs, its console output is followed with <c>csharp.output</c> (a long poll) and streamed to the notebook as it
/// is written; an application without that command sends it with the result. Completion and inspection ask the
/// application (<c>csharp.complete</c>, <c>csharp.inspect</c>), so they see its objects and the session's variables;
/// an application without those commands offers none.
/// </summary>
internal sealed class AttachedEngine : ICellEngine
{
    private readonly ZeroBridgeClient _client;
    private readonly TimeSpan _cellTimeout;
    private static readonly TimeSpan OutputWait = TimeSpan.FromSeconds(1);
    private string _session = NewSession();
    private volatile bool _canFollowOutput = true;
    private volatile bool _canEdit = true;

    public AttachedEngine(string endpoint, ZeroBridgeClientOptions clientOptions, TimeSpan cellTimeout)
    {
        _client = new ZeroBridgeClient(endpoint, clientOptions);
        _cellTimeout = cellTimeout;
    }

    public string Description => $"cells run in the application at {_client.Endpoint}";

    public async Task<CellOutcome> ExecuteAsync(string code, CellChannel channel, CancellationToken interrupt)
    {
        string session = _session, run = Guid.NewGuid().ToString("N")[..12];
        using var stopFollowing = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        var following = FollowOutputAsync(session, run, channel, stopFollowing.Token);
        async Task WriteRestAsync(object? output)
        {
            await stopFollowing.CancelAsync().ConfigureAwait(false);
            int streamed = await following.ConfigureAwait(false);
            if (output is string text && text.Length > streamed)
                channel.Write(ConsoleStream.Out, text[streamed..]);
        }
        try
        {
            var reply = await _client.CallAsync<Dictionary<string, object?>>("csharp.run",
                new Dictionary<string, object?> { ["code"] = code, ["session"] = session, ["timeout"] = _cellTimeout.TotalSeconds, ["run"] = run },
                _cellTimeout + TimeSpan.FromSeconds(5), interrupt).ConfigureAwait(false);
            await WriteRestAsync(reply?.GetValueOrDefault("output")).ConfigureAwait(false);
            return new CellOutcome(SubmissionParser.EndsInExpression(code), reply?.GetValueOrDefault("value"), null);
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            return CellOutcome.Failed(new CellError("Interrupted", "The cell was interrupted (the application was told to stop it).", ["Interrupted"]));
        }
        catch (ZeroBridgeRemoteException ex)
        {
            await WriteRestAsync(ex.Details.GetValueOrDefault("output")).ConfigureAwait(false);
            var traceback = new List<string> { $"{ex.RemoteType ?? ex.Code}: {ex.Message}" };
            traceback.AddRange((ex.RemoteStackTrace ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(line => "   " + line));
            string name = ex.Code == ScriptErrorCodes.CompileError ? "CompilationError" : ex.RemoteType?.Split('.').Last() ?? ex.Code;
            return CellOutcome.Failed(new CellError(name, ex.Message, traceback));
        }
        catch (ZeroBridgeException ex)
        {
            return CellOutcome.Failed(new CellError(ex.GetType().Name, $"{_client.Endpoint}: {ex.Message}", [ex.Message]));
        }
    }

    /// <summary>
    /// Streams the run's output while it goes on; returns how many characters were written. Best effort: whatever it
    /// did not write arrives with the result.
    /// </summary>
    private async Task<int> FollowOutputAsync(string session, string run, CellChannel channel, CancellationToken stop)
    {
        int offset = 0;
        if (!_canFollowOutput)
            return offset;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var slice = await _client.CallAsync<Dictionary<string, object?>>("csharp.output",
                    new Dictionary<string, object?> { ["session"] = session, ["run"] = run, ["offset"] = offset, ["wait"] = OutputWait.TotalSeconds },
                    OutputWait + TimeSpan.FromSeconds(10), stop).ConfigureAwait(false);
                if (slice is null)
                    break;
                if (slice.GetValueOrDefault("text") is string { Length: > 0 } text)
                    channel.Write(ConsoleStream.Out, text);
                offset = Convert.ToInt32(slice.GetValueOrDefault("next") ?? offset, System.Globalization.CultureInfo.InvariantCulture);
                if (slice.GetValueOrDefault("finished") is true)
                    break;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (RemoteCommandNotFoundException)
        {
            _canFollowOutput = false; // an application from before csharp.output: its output comes with the result
        }
        catch (ZeroBridgeException)
        {
        }
        return offset;
    }

    public async Task<ScriptCompletions> CompleteAsync(string code, int position, CancellationToken cancellationToken)
    {
        var reply = await AskEditorAsync("csharp.complete", code, position, cancellationToken).ConfigureAwait(false);
        if (reply?.GetValueOrDefault("matches") is not IEnumerable matches)
            return new ScriptCompletions([], position, position);
        return new ScriptCompletions(matches.Cast<object?>().Select(match => match?.ToString() ?? "").ToList(),
            Offset(reply, "start", position), Offset(reply, "end", position));
    }

    public async Task<string?> InspectAsync(string code, int position, CancellationToken cancellationToken)
    {
        var reply = await AskEditorAsync("csharp.inspect", code, position, cancellationToken).ConfigureAwait(false);
        return reply?.GetValueOrDefault("found") is true ? reply.GetValueOrDefault("text") as string : null;
    }

    /// <summary>Asks the application's editor service; null when it has none or cannot answer now (nothing to offer).</summary>
    private async Task<Dictionary<string, object?>?> AskEditorAsync(string command, string code, int position, CancellationToken cancellationToken)
    {
        if (!_canEdit)
            return null;
        try
        {
            return await _client.CallAsync<Dictionary<string, object?>>(command,
                new Dictionary<string, object?> { ["code"] = code, ["cursor"] = position, ["session"] = _session },
                EditorTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteCommandNotFoundException)
        {
            _canEdit = false; // an application from before csharp.complete
            return null;
        }
        catch (ZeroBridgeException)
        {
            return null;
        }
    }

    private static readonly TimeSpan EditorTimeout = TimeSpan.FromSeconds(10);

    private static int Offset(Dictionary<string, object?> reply, string key, int fallback) =>
        reply.GetValueOrDefault(key) is { } value ? Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    public void Reset()
    {
        string old = Interlocked.Exchange(ref _session, NewSession());
        _ = _client.CallAsync("csharp.reset", new Dictionary<string, object?> { ["session"] = old })
            .ContinueWith(_ => { }, TaskScheduler.Default); // best effort: the old session also expires on its own
    }

    public void Dispose() => _client.Dispose();

    private static string NewSession() => "jupyter-" + Guid.NewGuid().ToString("N")[..12];
}
