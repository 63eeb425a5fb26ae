using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis.Scripting;
using ZeroBridge.Scripting;
using ZeroBridge.Kernel.Editing;
using ZeroBridge.Scripting.Editing;
using ZeroBridge.Serialization;

namespace ZeroBridge.Kernel.Execution;

/// <summary>
/// Runs cells with Roslyn in this process, against a globals object: each cell continues from the last one that
/// succeeded, as in a REPL. Output streams while the cell runs; an interrupt stops the cell at its next loop
/// iteration or method call (the same injected checks as <c>csharp.run</c>), and a cell that cannot be stopped
/// (blocked in a library call) is abandoned after <see cref="JupyterKernelOptions.InterruptGrace"/>.
/// </summary>
internal sealed class ScriptEngine<TGlobals> : ICellEngine where TGlobals : class
{
    /// <summary>The first submission of every session: what makes <c>display(...)</c> a function in cells.</summary>
    private const string Preamble = "using static ZeroBridge.Kernel.Display.DisplayFunctions;";
    private const string CellThreadName = "Jupyter kernel cells";

    private readonly TGlobals _globals;
    private readonly ScriptOptions _options;
    private readonly TimeSpan _interruptGrace;
    private readonly Lazy<ScriptWorkspace> _workspace; // Roslyn's editor services take seconds to compose: not before kernel_info
    private readonly StringBuilder _earlier = new(Preamble + "\n"); // the cells that ran without error, for the editor
    private readonly TaskCompletionSource _firstCellDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task<SubmissionState> _preamble; // a session's first submission, compiled ahead: a first cell compiles only itself
    private SubmissionState? _state;
    private volatile CellThread _cellThread = new(CellThreadName); // replaced when a cell that does not stop is abandoned on it
    private int _generation; // bumped by Reset and by abandoning a cell, so a late finisher cannot install its state
    private int _cellsStarted;

    public ScriptEngine(TGlobals globals, JupyterKernelOptions options)
    {
        _globals = globals;
        _interruptGrace = options.InterruptGrace;
        var references = new[] { typeof(TGlobals).Assembly, typeof(ScriptGuard).Assembly, typeof(TableData).Assembly, typeof(Display.MimeBundle).Assembly }
            .Concat(options.References).ToList();
        _options = CachingMetadataResolver.DefaultOptions
            .AddReferences(references)
            .AddImports(options.Imports)
            .WithOptimizationLevel(Microsoft.CodeAnalysis.OptimizationLevel.Release);
        _workspace = new Lazy<ScriptWorkspace>(() => new ScriptWorkspace(typeof(TGlobals), options.Imports, references));
        ConsoleInput.Install();
        _preamble = RunPreambleAsync();
        _ = WarmUpAsync();
    }

    public string Description => $"cells run in-process against a {typeof(TGlobals).Name}";

    public async Task<CellOutcome> ExecuteAsync(string code, CellChannel channel, CancellationToken interrupt)
    {
        int generation = _generation;
        var previous = _state;
        var preamble = _preamble;
        Interlocked.Increment(ref _cellsStarted);
        var compiled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = _cellThread.Run(async () =>
        {
            channel.Enter();
            using var capture = ConsoleCapture.Begin(channel);
            previous ??= await preamble.ConfigureAwait(false);
            return await ScriptSubmission.RunAsync(previous, code, _options, _globals, compiled, interrupt).ConfigureAwait(false);
        });

        SubmissionState state;
        try
        {
            try
            {
                state = await run.WaitAsync(interrupt).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (interrupt.IsCancellationRequested && !run.IsCompleted)
            {
                // Interrupted: give the cell its grace to reach an injected check, then abandon it. Compiling stops on
                // the interrupt by itself (Roslyn checks the token) however long a cold compile takes on a busy
                // machine, so the grace counts from when running starts.
                await Task.WhenAny(compiled.Task, run).ConfigureAwait(false);
                state = await run.WaitAsync(_interruptGrace).ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
            Interlocked.Increment(ref _generation);
            _cellThread.Retire(); // it ends with the abandoned cell, if ever; the next cell gets a new one
            _cellThread = new CellThread(CellThreadName);
            return CellOutcome.Failed(new CellError("Interrupted",
                "The cell did not stop (it is blocked in a call that cannot be interrupted) and was abandoned; it may still be running.",
                ["Interrupted: the cell was abandoned"]));
        }
        catch (ScriptCompilationException ex)
        {
            return CellOutcome.Failed(new CellError("CompilationError", ex.Message, ex.Message.Split(Environment.NewLine)));
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            return CellOutcome.Failed(Interrupted());
        }
        finally
        {
            _firstCellDone.TrySetResult();
        }
        if (state.Exception is { } thrown)
            return CellOutcome.Failed(thrown is OperationCanceledException && interrupt.IsCancellationRequested ? Interrupted() : Describe(thrown));
        if (Volatile.Read(ref _generation) == generation)
        {
            _state = ScriptSubmission.NextState(previous, state);
            if (_state == state)
            {
                lock (_earlier)
                    ScriptWorkspace.Append(_earlier, code); // the editor needs what cells declared, nothing else
            }
        }
        return new CellOutcome(SubmissionParser.EndsInExpression(code), state.ReturnValue, null);
    }

    public Task<ScriptCompletions> CompleteAsync(string code, int position, CancellationToken cancellationToken) =>
        _workspace.Value.CompleteAsync(Earlier(), code, position, cancellationToken);

    public Task<string?> InspectAsync(string code, int position, CancellationToken cancellationToken) =>
        _workspace.Value.InspectAsync(Earlier(), code, position, cancellationToken);

    private string Earlier()
    {
        lock (_earlier)
            return _earlier.ToString();
    }

    public void Reset()
    {
        Interlocked.Increment(ref _generation);
        _state = null;
        _preamble = RunPreambleAsync();
        lock (_earlier)
            _earlier.Clear().Append(Preamble).Append('\n');
    }

    public void Dispose()
    {
        _cellThread.Retire();
        if (_workspace.IsValueCreated)
            _workspace.Value.Dispose();
    }

    /// <summary>Compiles and runs a new session's first submission.</summary>
    private Task<SubmissionState> RunPreambleAsync() =>
        _cellThread.Run(() => ScriptSubmission.RunAsync<TGlobals>(null, Preamble, _options, _globals, null, CancellationToken.None));

    /// <summary>
    /// Runs compiling work on a thread of its own: the pool starts with as many threads as cores, and a compile holding
    /// one of them for seconds at start would keep the kernel's own requests (kernel_info) waiting on a small machine.
    /// </summary>
    private static Task<T> OnOwnThread<T>(Func<Task<T>> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    /// <summary>
    /// Loads and JITs Roslyn while Jupyter connects, so the first cell and the first completion do not pay for it
    /// (seconds: Roslyn's assemblies are not precompiled). The preamble comes first, and a first cell continues from it;
    /// a throwaway cell then warms the path every later cell takes, unless a real one came first; Roslyn's editor
    /// services wait until the first cell is done, so that they do not compete with it for the machine. One thing at a
    /// time: a second compile warming up in parallel delayed kernel_info and the first cell by seconds (measured on a
    /// loaded machine; bench/README.md, issue 13).
    /// </summary>
    private async Task WarmUpAsync()
    {
        try
        {
            var preamble = await _preamble.ConfigureAwait(false);
            if (Volatile.Read(ref _cellsStarted) == 0)
                await _cellThread.Run(() => ScriptSubmission.RunAsync(preamble, "1 + 1", _options, _globals, null, CancellationToken.None)).ConfigureAwait(false);
            if (Volatile.Read(ref _cellsStarted) > 0)
                await _firstCellDone.Task.ConfigureAwait(false);
            await OnOwnThread(() => _workspace.Value.CompleteAsync(Earlier(), "Console.Wri", "Console.Wri".Length, CancellationToken.None)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Only a warm-up: the first real cell or completion reports whatever is wrong.
        }
    }

    private static CellError Interrupted() => new("Interrupted", "The cell was interrupted.", ["Interrupted: the cell was stopped"]);

    /// <summary>The exception as a traceback: type and message, then the stack without Roslyn's scripting frames.</summary>
    private static CellError Describe(Exception thrown)
    {
        var lines = new List<string> { $"{thrown.GetType().FullName}: {thrown.Message}" };
        lines.AddRange((thrown.StackTrace ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.Contains("Microsoft.CodeAnalysis.Scripting", StringComparison.Ordinal)
                           && !line.Contains("System.Runtime.CompilerServices", StringComparison.Ordinal))
            .Select(line => "   " + line));
        if (thrown.InnerException is { } inner)
            lines.Add($" ---> {inner.GetType().FullName}: {inner.Message}");
        return new CellError(thrown.GetType().Name, thrown.Message, lines);
    }
}
