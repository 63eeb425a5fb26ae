using Microsoft.Extensions.DependencyInjection;
using ZeroBridge.Commands;

namespace ZeroBridge.Execution;

/// <summary>Runs a command inside its filter pipeline: the registry's filters, then the container's, then the command.</summary>
internal static class CommandFilters
{
    public static ValueTask<object?> InvokeAsync(CommandRegistry registry, CommandDescriptor command, object?[] values,
        CommandContext context)
    {
        var registered = registry.Filters;
        var resolved = context.Services?.GetServices<ICommandFilter>();
        // Most registries have no filter: the command runs without a context or a delegate chain.
        if (registered.Count == 0 && (resolved is null || (resolved is ICollection<ICommandFilter> { Count: 0 })))
            return command.InvokeAsync(values, context.Services);

        var filters = resolved is null ? registered : [.. registered, .. resolved];
        CommandFilterDelegate pipeline = filtered => command.InvokeAsync(filtered.Arguments, filtered.Context.Services);
        for (int i = filters.Count - 1; i >= 0; i--)
        {
            var filter = filters[i];
            var next = pipeline;
            pipeline = filtered => filter.InvokeAsync(filtered, next);
        }
        return pipeline(new CommandFilterContext(command, values, context));
    }
}
