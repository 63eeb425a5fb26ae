namespace ZeroBridge.Execution;

/// <summary>How a <see cref="CommandExecutor"/> runs commands and encodes their results.</summary>
public sealed record CommandExecutorOptions
{
    /// <summary>The defaults.</summary>
    public static CommandExecutorOptions Default { get; } = new();

    /// <summary>The route the executor serves, as metrics and traces name it: <c>server</c>, <c>worker</c> or <c>task</c>.</summary>
    public string Route { get; init; } = "server";

    /// <summary>How many commands run at once; a call beyond it waits for a slot (its deadline counts meanwhile).</summary>
    public int MaxConcurrency { get; init; } = int.MaxValue;

    /// <summary>Whether error replies carry the stack trace.</summary>
    public bool IncludeStackTraces { get; init; } = true;

    /// <summary>Tables larger than this go in chunks fetched with <c>table.next</c> (docs/protocol.md §10.3).</summary>
    public long TableChunkBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>A chunked table nobody asks for within this time is closed.</summary>
    public TimeSpan TableCursorIdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How many chunked tables may be open at once.</summary>
    public int MaxOpenTableCursors { get; init; } = 64;
}
