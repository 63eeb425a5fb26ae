using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZeroBridge.Commands;
using ZeroBridge.Protocol;
using ZeroBridge.Serialization;
using ZeroBridge.Serialization.Columnar;

namespace ZeroBridge.Execution;

/// <summary>
/// Runs commands for every route: finds the command, binds the arguments, runs it within its deadline and the
/// concurrency limit, and encodes the result or the error. Knows nothing of sockets or envelopes, so the direct
/// server, the JSON gateway, the MDP worker and the task worker all run commands through it unchanged.
/// </summary>
/// <remarks>
/// Deadline (docs/protocol.md §2): when a call's <see cref="CommandCall.Timeout"/> passes, the command's token is
/// cancelled and the call completes at once with <c>timeout</c>, whether or not the command observes its token.
/// A command that runs on regardless keeps its concurrency slot until it really returns; its late result is dropped.
/// </remarks>
internal sealed class CommandExecutor : IDisposable
{
    private readonly BuiltInCommands _commands;
    private readonly TableCursorStore _tables;
    private readonly CommandExecutorOptions _options;
    private readonly SemaphoreSlim _slots;
    private readonly ILogger _logger;
    private readonly IServiceProvider? _services;
    private readonly CommandRegistry _registry;

    public CommandExecutor(CommandRegistry registry, CommandExecutorOptions options, ILogger logger)
    {
        _registry = registry;
        _services = registry.Services;
        _tables = new TableCursorStore(options.TableChunkBytes, options.TableCursorIdleTimeout, options.MaxOpenTableCursors);
        _commands = new BuiltInCommands(registry, _tables);
        _options = options;
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _logger = logger;
    }

    /// <summary>The options error details are written with: inline, no attachment frames.</summary>
    private static readonly MessagePack.MessagePackSerializerOptions ErrorValues = WireSerializer.BaseOptions;

    /// <summary>Largest request a socket thread runs itself: binding bigger arguments is work for the pool.</summary>
    public const int InlineRequestBytes = 16 * 1024;

    /// <summary>
    /// Whether a request may run on the socket thread that received it, sparing the hop to the pool and the wake-up
    /// back: a request of at most <see cref="InlineRequestBytes"/> for a command declared non-blocking
    /// (<see cref="NonBlockingAttribute"/>). Such a command is expected to complete synchronously; should it go
    /// asynchronous after all, its caller finishes it wherever it completes.
    /// </summary>
    public bool MayRunInline(string? command, long requestBytes) =>
        command is not null && requestBytes <= InlineRequestBytes && _commands.IsNonBlocking(command);

    /// <summary>Runs a bridge-protocol request and returns its reply body (docs/protocol.md §2-3).</summary>
    public async Task<ReplyBody> RunAsync(RequestBody request, CallerContext caller, CancellationToken cancellation)
    {
        var header = request.Header;
        var call = new CommandCall(header.Command!, header.Timeout, request.Arguments, request.Attachments)
        {
            TraceParent = header.TraceParent,
            TraceState = header.TraceState,
        };
        var outcome = await ExecuteAsync(call, caller, cancellation).ConfigureAwait(false);
        var encoded = Encode(outcome, chunkTables: true, dictionaryStrings: header.Accept.Contains(WireConstants.Accept.Dictionary));
        await outcome.ReleaseAsync().ConfigureAwait(false);
        return new ReplyBody(ReplyHeader.Write(header.RawId, encoded.Ok), encoded.Payload, encoded.Attachments);
    }

    /// <summary>An error reply to a request that will not run (malformed, too large, cancelled before it started).</summary>
    public ReplyBody Reject(ReadOnlyMemory<byte> rawId, ErrorMap error)
    {
        ExecutionLog.RequestRejected(_logger, error.Code, error.Message);
        return ReplyBody.Failure(rawId, error, ErrorValues);
    }

    /// <summary>
    /// Runs one command for <paramref name="caller"/>. Never throws: every failure becomes the outcome's error map.
    /// <paramref name="cancellation"/> is the route's (client cancel, disconnect, stop); the call's own deadline is added here.
    /// The caller encodes the result and then calls <see cref="ExecutionOutcome.ReleaseAsync"/> (which ends the
    /// request's dependency-injection scope).
    /// </summary>
    public async Task<ExecutionOutcome> ExecuteAsync(CommandCall call, CallerContext caller, CancellationToken cancellation)
    {
        // Nothing listening (the usual case): no tags, no clock, no second name lookup on the request path.
        bool metered = ZeroBridgeDiagnostics.Commands.Enabled || ZeroBridgeDiagnostics.CommandDuration.Enabled
                       || ZeroBridgeDiagnostics.ActiveCommands.Enabled;
        if (!metered && !ZeroBridgeDiagnostics.Source.HasListeners())
            return await ExecuteWithDeadlineAsync(call, caller, cancellation).ConfigureAwait(false);

        // Callers choose command names: only registered ones become metric tags, so a scan cannot grow the series.
        string command = _commands.Exists(call.Command) ? call.Command : ZeroBridgeDiagnostics.UnknownCommand;
        var tags = new TagList { { "zerobridge.command", command }, { "zerobridge.route", _options.Route } };
        using var activity = StartActivity(call, caller, command);
        ZeroBridgeDiagnostics.ActiveCommands.Add(1, tags);
        long started = Stopwatch.GetTimestamp();
        var outcome = await ExecuteWithDeadlineAsync(call, caller, cancellation).ConfigureAwait(false);
        ZeroBridgeDiagnostics.ActiveCommands.Add(-1, tags);
        tags.Add("zerobridge.outcome", outcome.Error?.Code ?? "ok");
        ZeroBridgeDiagnostics.Commands.Add(1, tags);
        ZeroBridgeDiagnostics.CommandDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        if (activity is not null && outcome.Error is { } error)
        {
            activity.SetTag("zerobridge.error_code", error.Code);
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
        }
        return outcome;
    }

    /// <summary>The command's activity, a child of the caller's trace context when the request carried one.</summary>
    private static Activity? StartActivity(CommandCall call, CallerContext caller, string command)
    {
        if (!ZeroBridgeDiagnostics.Source.HasListeners())
            return null;
        ActivityContext.TryParse(call.TraceParent, call.TraceState, isRemote: true, out var parent);
        var activity = ZeroBridgeDiagnostics.Source.StartActivity(command, ActivityKind.Server, parent);
        activity?.SetTag("rpc.system", "zerobridge");
        activity?.SetTag("rpc.method", command);
        activity?.SetTag("zerobridge.peer", caller.Peer);
        return activity;
    }

    private async Task<ExecutionOutcome> ExecuteWithDeadlineAsync(CommandCall call, CallerContext caller, CancellationToken cancellation)
    {
        if (call.Timeout is not { } timeout)
            return await RunCommandAsync(call, caller, cancellation, deadline: null).ConfigureAwait(false);

        if (_commands.IsNonBlocking(call.Command))
        {
            // Declared never to block: run it here, without the pool hop and the two timers a deadline costs; it
            // returns before any deadline could pass. Should it go asynchronous after all, the deadline applies.
            var quick = RunCommandAsync(call, caller, cancellation, deadline: null);
            if (quick.IsCompleted)
                return await quick.ConfigureAwait(false);
            try
            {
                return await quick.WaitAsync(timeout, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _ = quick.ContinueWith(late => DropLateResult(late.Result, call, caller),
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return DeadlinePassed();
            }
        }

        var deadline = new CancellationTokenSource(timeout);
        var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation, deadline.Token);
        // On the pool: a plain method that blocks runs synchronously inside RunCommandAsync, and the deadline must
        // be able to answer while it does.
        var running = Task.Run(() => RunCommandAsync(call, caller, linked.Token, deadline.Token), CancellationToken.None);
        try
        {
            return await running.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!running.IsCompleted)
        {
            // The command ignores its token: answer now, and let it finish in the background (holding its slot).
            _ = running.ContinueWith(late =>
            {
                DropLateResult(late.Result, call, caller);
                linked.Dispose();
                deadline.Dispose();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return DeadlinePassed();
        }
        catch (OperationCanceledException)
        {
            return await running.ConfigureAwait(false); // it finished in the same moment: its own outcome stands
        }
        finally
        {
            if (running.IsCompleted)
            {
                linked.Dispose();
                deadline.Dispose();
            }
        }
    }

    private static ExecutionOutcome DeadlinePassed() =>
        ExecutionOutcome.Failed(new ErrorMap(ErrorCodes.Timeout, typeof(OperationCanceledException).FullName,
            ExceptionErrors.DeadlineMessage, null, null));

    /// <summary>A command finished after its call was answered <c>timeout</c>: nothing will encode its result.</summary>
    private void DropLateResult(ExecutionOutcome late, CommandCall call, CallerContext caller)
    {
        _ = late.ReleaseAsync().AsTask();
        ExecutionLog.LateResultDropped(_logger, call.Command, caller.Peer);
    }

    private async Task<ExecutionOutcome> RunCommandAsync(CommandCall call, CallerContext caller, CancellationToken token,
        CancellationToken? deadline)
    {
        // Counted only when it will wait: a free slot is taken at once and is no queue.
        bool queued = ZeroBridgeDiagnostics.QueuedCommands.Enabled && _slots.CurrentCount == 0;
        if (queued)
            ZeroBridgeDiagnostics.QueuedCommands.Add(1, new KeyValuePair<string, object?>("zerobridge.route", _options.Route));
        try
        {
            await _slots.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return ExecutionOutcome.Failed(deadline?.IsCancellationRequested == true
                ? ErrorMap.Of(ErrorCodes.Timeout, ExceptionErrors.DeadlineMessage)
                : ErrorMap.Of(ErrorCodes.Cancelled, "The request was cancelled before it started."));
        }
        finally
        {
            if (queued)
                ZeroBridgeDiagnostics.QueuedCommands.Add(-1, new KeyValuePair<string, object?>("zerobridge.route", _options.Route));
        }
        // One scope per request, as ASP.NET Core gives each request its RequestServices; it ends once the result is
        // encoded (ExecutionOutcome.ReleaseAsync), or here when the command fails.
        AsyncServiceScope? scope = _services?.CreateAsyncScope();
        long started = Stopwatch.GetTimestamp();
        try
        {
            var command = _commands.Find(call.Command);
            CommandPermission.Check(command, _commands.IsBuiltIn(call.Command), caller.Identity);
            var services = scope?.ServiceProvider;
            var context = new CommandContext(call.Command, caller.Peer, token, services, caller.Identity);
            var values = ArgumentBinder.Bind(command, call.Arguments, call.Attachments, context);
            ExecutionLog.CommandRunning(_logger, call.Command, caller.Peer);
            var result = await CommandFilters.InvokeAsync(_registry, command, values, context).ConfigureAwait(false);
            ExecutionLog.CommandCompleted(_logger, call.Command, caller.Peer, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return new ExecutionOutcome(result, null) { Scope = scope };
        }
        catch (Exception ex)
        {
            if (scope is { } failed)
                await failed.DisposeAsync().ConfigureAwait(false);
            bool deadlinePassed = ex is OperationCanceledException && deadline?.IsCancellationRequested == true;
            var error = ExceptionErrors.ToErrorMap(ex, _options.IncludeStackTraces, deadlinePassed, _registry);
            if (error.Code is ErrorCodes.CommandFailed)
                ExecutionLog.CommandFailed(_logger, ex, call.Command, caller.Peer, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            else
                ExecutionLog.CommandRefused(_logger, call.Command, caller.Peer, error.Code, error.Message,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return ExecutionOutcome.Failed(error);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>
    /// Encodes an outcome as a payload and its attachments. A result that cannot be serialized becomes an
    /// <c>internal</c> error. With <paramref name="chunkTables"/>, tables larger than the chunk size go in chunks
    /// kept here for <c>table.next</c>; without, they go whole.
    /// </summary>
    /// <param name="outcome">The outcome to encode.</param>
    /// <param name="chunkTables">Whether large tables go in chunks.</param>
    /// <param name="dictionaryStrings">Whether string columns may be dictionary-encoded.</param>
    /// <param name="attachments">Where attachment frames go (the items of a task batch share one list); null: a new list.</param>
    public EncodedOutcome Encode(ExecutionOutcome outcome, bool chunkTables, bool dictionaryStrings = false,
        List<ReadOnlyMemory<byte>>? attachments = null)
    {
        if (outcome.Error is { } error)
            return new EncodedOutcome(false, error.Encode(ErrorValues), []);
        attachments ??= new List<ReadOnlyMemory<byte>>();
        int attachedBefore = attachments.Count;
        var chunking = chunkTables ? new TableChunking(_tables.ChunkBytes) : null;
        var type = outcome.Result?.GetType() ?? typeof(object);
        try
        {
            byte[] payload = WireSerializer.Serialize(type, outcome.Result, attachments, chunking, dictionaryStrings);
            try
            {
                _tables.Keep(chunking?.Cut ?? []);
            }
            catch (InvalidOperationException ex)
            {
                throw new ZeroBridgeSerializationException($"A value of type {type.Name} cannot be serialized: {ex.Message}", ex);
            }
            return new EncodedOutcome(true, payload, attachments);
        }
        catch (ZeroBridgeSerializationException ex)
        {
            foreach (var cursor in chunking?.Cut ?? [])
                cursor.Dispose(); // the reply is not sent: nobody will ask for the rest
            attachments.RemoveRange(attachedBefore, attachments.Count - attachedBefore); // nor what the value attached
            ExecutionLog.ResultUnserializable(_logger, ex);
            return new EncodedOutcome(false, ExceptionErrors.ToErrorMap(ex, _options.IncludeStackTraces).Encode(ErrorValues), []);
        }
    }

    public void Dispose()
    {
        _tables.Dispose();
        _slots.Dispose();
    }
}
