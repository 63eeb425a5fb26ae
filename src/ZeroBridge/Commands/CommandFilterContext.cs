namespace ZeroBridge.Commands;

/// <summary>What an <see cref="ICommandFilter"/> sees of the call it runs around.</summary>
public sealed class CommandFilterContext
{
    internal CommandFilterContext(CommandDescriptor command, object?[] arguments, CommandContext context)
    {
        Command = command;
        Arguments = arguments;
        Context = context;
    }

    /// <summary>The command about to run: its name, parameters and method.</summary>
    public CommandDescriptor Command { get; }

    /// <summary>
    /// The bound values, one per entry of <see cref="CommandDescriptor.Parameters"/> (services and the context included).
    /// A filter may replace an element before calling next.
    /// </summary>
    public object?[] Arguments { get; }

    /// <summary>The request: caller, cancellation, and its dependency-injection scope.</summary>
    public CommandContext Context { get; }
}
