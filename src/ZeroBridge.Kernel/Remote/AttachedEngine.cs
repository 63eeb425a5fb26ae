using System.Collections;
using ZeroBridge.Client;
using ZeroBridge.Kernel.Editing;
using ZeroBridge.Kernel.Execution;
using ZeroBridge.Protocol;
using ZeroBridge.Scripting;

namespace ZeroBridge.Kernel.Remote;

/// <summary>
/// Runs cells inside a running application elsewhere: each cell is a <c>csharp.run</c> call to the application's
/// script service over ZeroBridge (the application must allow scripts), in one script session per kernel. The
/// console output arrives with the result, not while the cell runs; completion and inspection are not offered.
/// </summary>
internal sealed class AttachedEngine : ICellEngine
{
    private readonly ZeroBridgeClient _client;
    private readonly TimeSpan _cellTimeout;
    private string _session = NewSession();

    public AttachedEngine(string endpoint, ZeroBridgeClientOptions clientOptions, TimeSpan cellTimeout)
    {
        _client = new ZeroBridgeClient(endpoint, clientOptions);
        _cellTimeout = cellTimeout;
    }

    public string Description => $"cells run in the application at {_client.Endpoint}";

    public async Task<CellOutcome> ExecuteAsync(string code, CellChannel channel, CancellationToken interrupt)
    {
        try
        {
            var reply = await _client.CallAsync<Dictionary<string, object?>>("csharp.run",
                new Dictionary<string, object?> { ["code"] = code, ["session"] = _session, ["timeout"] = _cellTimeout.TotalSeconds },
                _cellTimeout + TimeSpan.FromSeconds(5), interrupt).ConfigureAwait(false);
            if (reply?.GetValueOrDefault("output") is string { Length: > 0 } output)
                channel.Write(ConsoleStream.Out, output);
            return new CellOutcome(SubmissionParser.EndsInExpression(code), reply?.GetValueOrDefault("value"), null);
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            return CellOutcome.Failed(new CellError("Interrupted", "The cell was interrupted (the application was told to stop it).", ["Interrupted"]));
        }
        catch (ZeroBridgeRemoteException ex)
        {
            if (ex.Details.GetValueOrDefault("output") is string { Length: > 0 } output)
                channel.Write(ConsoleStream.Out, output);
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

    public Task<CellCompletions> CompleteAsync(string code, int position, CancellationToken cancellationToken) =>
        Task.FromResult(new CellCompletions([], position, position));

    public Task<string?> InspectAsync(string code, int position, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public void Reset()
    {
        string old = Interlocked.Exchange(ref _session, NewSession());
        _ = _client.CallAsync("csharp.reset", new Dictionary<string, object?> { ["session"] = old })
            .ContinueWith(_ => { }, TaskScheduler.Default); // best effort: the old session also expires on its own
    }

    public void Dispose() => _client.Dispose();

    private static string NewSession() => "jupyter-" + Guid.NewGuid().ToString("N")[..12];
}
