using System.ComponentModel;
using ZeroBridge.Commands;
using ZeroBridge.Serialization.Columnar;

namespace ZeroBridge.Execution;

/// <summary>
/// The commands every server answers whatever the application registers (docs/protocol.md §5). They live in a
/// registry of their own, so an application's registry can be shared by several servers unchanged.
/// </summary>
internal sealed class BuiltInCommands
{
    private readonly CommandRegistry _builtIns = new();
    private readonly CommandRegistry _application;

    public BuiltInCommands(CommandRegistry application, TableCursorStore tables)
    {
        _application = application;
        _builtIns
            .Add("table.next", [InternalCommand, Description("The next chunk of a table sent in chunks (docs/protocol.md §10.3).")] (string cursor) =>
                tables.Continue(cursor))
            .Add("table.close", [InternalCommand, Description("Stops sending a chunked table and frees it; true when it was still open.")] (string cursor) =>
                tables.Close(cursor));
        _builtIns
            .Add("ping", [NonBlocking, Description("Checks that the server is alive; returns \"pong\".")] () => "pong")
            .Add("commands", [NonBlocking, Description("Lists every command with its parameters, types and description.")] () =>
                All().Select(c => c.Describe()).ToList());
    }

    /// <summary>Whether a command of that name exists (built-in or the application's).</summary>
    public bool Exists(string name) => _builtIns.TryGet(name, out _) || _application.TryGet(name, out _);

    /// <summary>Whether <paramref name="name"/> is a command declared non-blocking (<see cref="NonBlockingAttribute"/>).</summary>
    public bool IsNonBlocking(string name) =>
        (_builtIns.TryGet(name, out var command) || _application.TryGet(name, out command)) && command.IsNonBlocking;

    /// <summary>Whether <paramref name="name"/> is a built-in (which every authenticated caller may call).</summary>
    public bool IsBuiltIn(string name) => _builtIns.TryGet(name, out _);

    /// <summary>Built-ins first, so an application cannot shadow them by accident; then the application's.</summary>
    public CommandDescriptor Find(string name)
    {
        if (_builtIns.TryGet(name, out var builtIn) || _application.TryGet(name, out builtIn))
            return builtIn;
        throw new UnknownCommandException(name, CommandNames.Suggest(name, All().Select(c => c.Name)));
    }

    private IEnumerable<CommandDescriptor> All() =>
        _builtIns.All.Concat(_application.All.Where(c => !_builtIns.TryGet(c.Name, out _)))
            .OrderBy(c => c.Name, StringComparer.Ordinal);
}
