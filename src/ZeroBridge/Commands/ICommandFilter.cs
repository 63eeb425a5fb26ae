namespace ZeroBridge.Commands;

/// <summary>
/// Code that runs around every command, as ASP.NET Core endpoint filters and gRPC interceptors do: for logging,
/// authorization, metrics, auditing. A filter calls the <c>next</c> delegate it is given to go on (to the next filter, and last to
/// the command), may change the arguments first, may replace the result, and refuses a call by throwing (for
/// instance a <see cref="PermissionDeniedException"/>, which the caller gets as <c>permission_denied</c>).
/// </summary>
/// <remarks>
/// Filters run after the arguments are bound and inside the request's dependency-injection scope, outermost first:
/// those added with <see cref="CommandRegistry.AddFilter"/> in the order added, then those registered in the container
/// (<c>services.AddZeroBridgeFilter&lt;T&gt;()</c>), resolved from the request's scope.
/// </remarks>
/// <example>
/// <code>
/// sealed class Audit(ILogger&lt;Audit&gt; log) : ICommandFilter
/// {
///     public async ValueTask&lt;object?&gt; InvokeAsync(CommandFilterContext context, CommandFilterDelegate next)
///     {
///         log.LogInformation("{Peer} runs {Command}", context.Context.Peer, context.Command.Name);
///         return await next(context);
///     }
/// }
/// </code>
/// </example>
public interface ICommandFilter
{
    /// <summary>Runs around one command call.</summary>
    /// <param name="context">The command, its bound arguments and the request.</param>
    /// <param name="next">The rest of the pipeline; its result is the command's (or a later filter's).</param>
    /// <returns>The result to send to the caller.</returns>
    ValueTask<object?> InvokeAsync(CommandFilterContext context, CommandFilterDelegate next);
}

/// <summary>The rest of a command's filter pipeline (the next filters, then the command).</summary>
public delegate ValueTask<object?> CommandFilterDelegate(CommandFilterContext context);
