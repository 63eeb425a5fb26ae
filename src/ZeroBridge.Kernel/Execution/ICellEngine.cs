using ZeroBridge.Scripting.Editing;

namespace ZeroBridge.Kernel.Execution;

/// <summary>
/// What runs a notebook's cells and answers its editor: Roslyn in this process (<see cref="ScriptEngine{TGlobals}"/>)
/// or a running application's script service reached over ZeroBridge (Remote/).
/// </summary>
internal interface ICellEngine : IDisposable
{
    /// <summary>A line for the kernel banner: what the cells run against.</summary>
    string Description { get; }

    /// <summary>Runs a cell; its console output and displays go to <paramref name="channel"/>.</summary>
    /// <param name="code">The cell.</param>
    /// <param name="channel">Where the cell's output goes (entered on the cell's flow by the engine).</param>
    /// <param name="interrupt">Cancelled by an interrupt_request.</param>
    Task<CellOutcome> ExecuteAsync(string code, CellChannel channel, CancellationToken interrupt);

    /// <summary>Completions at a UTF-16 position of <paramref name="code"/>.</summary>
    Task<ScriptCompletions> CompleteAsync(string code, int position, CancellationToken cancellationToken);

    /// <summary>What the symbol at a UTF-16 position is (signature and docs), or null.</summary>
    Task<string?> InspectAsync(string code, int position, CancellationToken cancellationToken);

    /// <summary>Forgets every variable and function the cells defined (a kernel restart).</summary>
    void Reset();
}

/// <summary>How a cell ended: with a value (or none), or with an error.</summary>
/// <param name="HasValue">Whether the cell ended in an expression whose value is to be shown.</param>
/// <param name="Value">That value.</param>
/// <param name="Error">The error, when the cell failed.</param>
internal sealed record CellOutcome(bool HasValue, object? Value, CellError? Error)
{
    public static CellOutcome Nothing { get; } = new(false, null, null);

    public static CellOutcome Failed(CellError error) => new(false, null, error);
}

/// <summary>A cell's error as Jupyter shows it.</summary>
/// <param name="Name">The exception type (ename).</param>
/// <param name="Message">The message (evalue).</param>
/// <param name="Traceback">The lines a front-end prints.</param>
internal sealed record CellError(string Name, string Message, IReadOnlyList<string> Traceback);
