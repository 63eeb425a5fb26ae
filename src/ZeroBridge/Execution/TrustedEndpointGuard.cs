using ZeroBridge.Commands;
using ZeroBridge.Transport;

namespace ZeroBridge.Execution;

/// <summary>
/// Commands that run caller-supplied code (<see cref="RequiresTrustedEndpointAttribute"/>) must not be reachable from
/// other machines unless every caller is authenticated (CURVE and an allow-list, whose keys then need the scripts
/// permission): servers and workers refuse to start rather than expose them.
/// </summary>
internal static class TrustedEndpointGuard
{
    /// <summary>Why <paramref name="commands"/> may not be offered on <paramref name="endpoint"/>, or null when they may.</summary>
    /// <param name="commands">The commands to be offered.</param>
    /// <param name="endpoint">Where.</param>
    /// <param name="verb">What the component does with them, for the message ("serve", "offer").</param>
    /// <param name="authenticated">Whether every caller proves an allowed key first (CURVE with an allow-list).</param>
    public static string? Violation(CommandRegistry commands, string endpoint, string verb, bool authenticated)
    {
        var privileged = commands.All.Where(c => c.RequiresTrustedEndpoint).Select(c => c.Name).ToList();
        if (privileged.Count == 0 || authenticated || EndpointAddress.IsLocalOnly(endpoint))
            return null;
        return $"Refusing to {verb} {string.Join(", ", privileged)} on {endpoint}: these commands run code sent by the caller, " +
               "so they are offered only on a loopback, ipc or inproc endpoint (e.g. tcp://127.0.0.1:5555) until the endpoint is " +
               "protected by authentication: a server Certificate and an AllowList (zbridge: --cert and --allow-list), whose keys " +
               "then need scripts = \"true\" in their metadata.";
    }
}
