using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZeroBridge.Commands;
using ZeroBridge.Protocol;
using ZeroBridge.Scripting.Editing;
using ZeroBridge.Serialization;

namespace ZeroBridge.Scripting;

/// <summary>
/// Runs C# sent by clients against an application object (the globals): each session keeps its variables,
/// functions and usings between runs, as a REPL does. Console output is captured per run; runaway code is stopped
/// at its timeout (see <see cref="CancellationInjector"/> for what can and cannot be stopped).
/// </summary>
/// <typeparam name="TGlobals">The type whose public members scripts see as globals.</typeparam>
public sealed class ScriptHost<TGlobals> : IDisposable where TGlobals : class
{
    private readonly TGlobals _globals;
    private readonly ScriptingOptions _options;
    private readonly ScriptOptions _scriptOptions;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ScriptSession> _sessions = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots;
    private readonly Timer _expiry;
    private readonly Lazy<ScriptWorkspace> _workspace; // built on the first completion: it loads Roslyn's editor services

    /// <summary>Creates a host whose scripts see the public members of <paramref name="globals"/>.</summary>
    public ScriptHost(TGlobals globals, ScriptingOptions options, ILogger? logger = null)
    {
        _globals = globals;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _slots = new SemaphoreSlim(options.MaxConcurrentScripts, options.MaxConcurrentScripts);
        var references = new[] { typeof(TGlobals).Assembly, typeof(ScriptGuard).Assembly, typeof(TableData).Assembly }
            .Concat(options.References).ToList();
        _scriptOptions = CachingMetadataResolver.DefaultOptions
            .AddReferences(references)
            .AddImports(options.Imports)
            .WithOptimizationLevel(Microsoft.CodeAnalysis.OptimizationLevel.Release);
        _workspace = new Lazy<ScriptWorkspace>(() => new ScriptWorkspace(typeof(TGlobals), options.Imports, references));
        var sweep = TimeSpan.FromSeconds(Math.Clamp(options.SessionIdleTimeout.TotalSeconds / 4, 1, 60));
        _expiry = new Timer(_ => ForgetIdleSessions(), null, sweep, sweep);
        if (options.Enabled && options.WarmUp)
            _ = Task.Run(WarmUpAsync);
    }

    /// <summary>The sessions that exist now.</summary>
    public IReadOnlyList<string> Sessions => _sessions.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>Compiles and runs <paramref name="code"/> in a session, creating the session on first use.</summary>
    /// <exception cref="ScriptCompilationException">The code does not compile.</exception>
    /// <exception cref="ScriptRuntimeException">The code threw.</exception>
    /// <exception cref="CommandException">Scripts are disabled (<c>permission_denied</c>), the timeout passed (<c>timeout</c>), or the result is too large.</exception>
    /// <param name="code">The C# script.</param>
    /// <param name="session">The session whose variables the code sees and extends.</param>
    /// <param name="timeout">At most the host's <see cref="ScriptingOptions.Timeout"/>; null for that.</param>
    /// <param name="peer">Who asked (for the log).</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <param name="runId">The caller's name for this run, with which <see cref="ReadOutputAsync"/> reads its output while it runs.</param>
    public async Task<ScriptResult> RunAsync(string code, string session, TimeSpan? timeout, string peer, CancellationToken cancellationToken,
        string? runId = null)
    {
        if (!_options.Enabled)
            throw new PermissionDeniedException(
                "Code execution is disabled on this server. Start it with --allow-scripts (zbridge) or ScriptingOptions.Enabled = true.");
        var limit = timeout is { } asked && asked > TimeSpan.Zero && asked < _options.Timeout ? asked : _options.Timeout;
        var state = _sessions.GetOrAdd(session, _ => new ScriptSession());
        var clock = Stopwatch.StartNew();
        ScriptingLog.ScriptRun(_logger, peer, session, code.Length);

        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        bool slotHandedOver = false;
        try
        {
            await state.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(limit);
                var sinceDeadlineSet = Stopwatch.StartNew();
                var output = new RunOutput(runId);
                state.Output = output;
                using var capture = ConsoleCapture.Begin(output);
                var compiled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                // Its own thread, not the pool's: a runaway script must not starve the server (or the very timers
                // that are to stop it).
                var run = Task.Factory.StartNew(() => ExecuteAsync(state, code, compiled, deadline.Token), CancellationToken.None,
                    TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
                bool TimedOut() => deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
                ScriptState<object> finished;
                try
                {
                    // Compiling honours the deadline on its own (Roslyn checks the token), however slow a loaded machine
                    // makes it; the hard stop only concerns running code, so its clock starts when compiling ends.
                    await Task.WhenAny(compiled.Task, run).ConfigureAwait(false);
                    var remaining = limit - sinceDeadlineSet.Elapsed;
                    try
                    {
                        finished = await run.WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        // The deadline is due: cancel now rather than trust the timer to have fired on a busy machine,
                        // then give the code its grace period to notice.
                        await deadline.CancelAsync().ConfigureAwait(false);
                        finished = await run.WaitAsync(_options.HardStopGrace, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (TimeoutException)
                {
                    // The code ignores cancellation (blocked in a call the injected checks cannot reach). It is
                    // abandoned: its session starts over, and its slot is freed only when the code really ends.
                    _sessions.TryRemove(new KeyValuePair<string, ScriptSession>(session, state));
                    slotHandedOver = true;
                    _ = run.ContinueWith(_ => _slots.Release(), TaskScheduler.Default);
                    ScriptingLog.ScriptAbandoned(_logger, session, peer, limit);
                    throw new CommandException(ErrorCodes.Timeout,
                        $"The script did not stop within {limit.TotalSeconds:0.###} s and was abandoned; session '{session}' was reset.");
                }
                catch (OperationCanceledException) when (TimedOut())
                {
                    throw StoppedAt(limit); // stopped while compiling, or by the run's own cancellation check
                }
                if (finished.Exception is OperationCanceledException && TimedOut())
                    throw StoppedAt(limit);
                if (finished.Exception is { } thrown)
                    throw new ScriptRuntimeException(thrown, output.Text);
                var value = finished.ReturnValue;
                CheckSize(value);
                return new ScriptResult(value, output.Text, clock.Elapsed.TotalMilliseconds);
            }
            finally
            {
                state.Output?.Finish();
                state.LastUsed = DateTime.UtcNow;
                state.Lock.Release();
            }
        }
        finally
        {
            if (!slotHandedOver)
                _slots.Release();
        }
    }

    /// <summary>
    /// The console output of the run named <paramref name="runId"/> past <paramref name="offset"/>, waiting up to
    /// <paramref name="wait"/> for some while that run goes on. A run that has not started (or another run of the
    /// session) gives no text and <c>Started</c> false.
    /// </summary>
    public async Task<ScriptOutputSlice> ReadOutputAsync(string session, string runId, int offset, TimeSpan wait,
        CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
            throw new PermissionDeniedException(
                "Code execution is disabled on this server. Start it with --allow-scripts (zbridge) or ScriptingOptions.Enabled = true.");
        var output = CurrentOutput(session, runId);
        if (output is null && wait > TimeSpan.Zero)
        {
            // Asked before the run began (its request may still be on its way, or waiting for the session): look
            // again shortly rather than have the caller spin.
            await Task.Delay(wait < NotStartedRecheck ? wait : NotStartedRecheck, cancellationToken).ConfigureAwait(false);
            output = CurrentOutput(session, runId);
        }
        if (output is null)
            return new ScriptOutputSlice("", offset, Started: false, Finished: false);
        var (text, next, finished) = await output.ReadAsync(offset, wait, cancellationToken).ConfigureAwait(false);
        return new ScriptOutputSlice(text, next, Started: true, finished);
    }

    private static readonly TimeSpan NotStartedRecheck = TimeSpan.FromMilliseconds(100);

    private RunOutput? CurrentOutput(string session, string runId) =>
        _sessions.TryGetValue(session, out var state) && state.Output is { } output && output.RunId == runId ? output : null;

    /// <summary>
    /// Completions at <paramref name="cursor"/> (a UTF-16 offset) of <paramref name="code"/>, as if it ran next in
    /// <paramref name="session"/>: the globals' members and what the session's earlier runs defined. Nothing runs.
    /// </summary>
    /// <exception cref="CommandException">Scripts are disabled (<c>permission_denied</c>).</exception>
    public Task<ScriptCompletions> CompleteAsync(string code, int cursor, string session, CancellationToken cancellationToken)
    {
        CheckEditing(code, cursor);
        return _workspace.Value.CompleteAsync(Earlier(session), code, cursor, cancellationToken);
    }

    /// <summary>The signature and documentation of the symbol at <paramref name="cursor"/> of <paramref name="code"/>, or null.</summary>
    /// <exception cref="CommandException">Scripts are disabled (<c>permission_denied</c>).</exception>
    public Task<string?> InspectAsync(string code, int cursor, string session, CancellationToken cancellationToken)
    {
        CheckEditing(code, cursor);
        return _workspace.Value.InspectAsync(Earlier(session), code, cursor, cancellationToken);
    }

    private void CheckEditing(string code, int cursor)
    {
        if (!_options.Enabled)
            throw new PermissionDeniedException(
                "Code execution is disabled on this server. Start it with --allow-scripts (zbridge) or ScriptingOptions.Enabled = true.");
        if (cursor < 0 || cursor > code.Length)
            throw new CommandException(ErrorCodes.InvalidArgument, $"cursor {cursor} is outside the code (0 to {code.Length}).");
    }

    /// <summary>The code a session ran without error, oldest first: each state's script continues the one before it.</summary>
    private string Earlier(string session)
    {
        var submissions = new List<string>();
        if (_sessions.TryGetValue(session, out var state))
        {
            for (var script = state.State?.Script; script is not null; script = script.Previous)
                submissions.Add(script.Code);
        }
        var earlier = new StringBuilder();
        for (int i = submissions.Count - 1; i >= 0; i--)
            ScriptWorkspace.Append(earlier, submissions[i]);
        return earlier.ToString();
    }

    /// <summary>Forgets a session's state; returns whether it existed.</summary>
    public bool Reset(string session) => _sessions.TryRemove(session, out _);

    /// <inheritdoc/>
    public void Dispose()
    {
        _expiry.Dispose();
        _slots.Dispose();
        if (_workspace.IsValueCreated)
            _workspace.Value.Dispose();
    }

    private async Task<ScriptState<object>> ExecuteAsync(ScriptSession session, string code, TaskCompletionSource compiled,
        CancellationToken cancellationToken)
    {
        var state = await ScriptSubmission.RunAsync(session.State, code, _scriptOptions, _globals, compiled, cancellationToken).ConfigureAwait(false);
        if (state.Exception is null)
            session.State = ScriptSubmission.NextState(session.State, state); // a run that threw leaves the session as it was
        return state;
    }

    private static CommandException StoppedAt(TimeSpan limit) =>
        new(ErrorCodes.Timeout, $"The script was stopped at its {limit.TotalSeconds:0.###} s timeout.");

    private void CheckSize(object? value)
    {
        var attachments = new List<ReadOnlyMemory<byte>>();
        long size = WireSerializer.Serialize(value, attachments).Length + attachments.Sum(a => (long)a.Length);
        if (size > _options.MaxResultBytes)
            throw new CommandException(ErrorCodes.TooLarge,
                $"The script's result is {size} bytes; the limit is {_options.MaxResultBytes}.",
                new Dictionary<string, object?> { ["limit"] = _options.MaxResultBytes, ["size"] = size });
    }

    private async Task WarmUpAsync()
    {
        try
        {
            var clock = Stopwatch.StartNew();
            await CSharpScript.Create<object>(CancellationInjector.Inject("1 + 1"), _scriptOptions, typeof(TGlobals)).RunAsync(_globals).ConfigureAwait(false);
            ScriptingLog.ScriptingWarmedUp(_logger, clock.ElapsedMilliseconds);
        }
        catch (Exception ex)
        {
            ScriptingLog.ScriptingWarmUpFailed(_logger, ex);
        }
    }

    private void ForgetIdleSessions()
    {
        var cutoff = DateTime.UtcNow - _options.SessionIdleTimeout;
        foreach (var (name, session) in _sessions)
        {
            if (session.LastUsed < cutoff && session.Lock.CurrentCount == 1)
                _sessions.TryRemove(new KeyValuePair<string, ScriptSession>(name, session));
        }
    }

    private sealed class ScriptSession
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);
        public ScriptState<object>? State { get; set; }
        public DateTime LastUsed { get; set; } = DateTime.UtcNow;

        /// <summary>The output of the session's latest run (read by other requests while it runs).</summary>
        public volatile RunOutput? Output;
    }
}
