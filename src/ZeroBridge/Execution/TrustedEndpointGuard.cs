using ZeroBridge.Commands;
using ZeroBridge.Transport;

namespace ZeroBridge.Execution;

/// <summary>
/// Commands that run caller-supplied code (<see cref="RequiresTrustedEndpointAttribute"/>) must not be reachable from
/// other machines while the transport has no authentication: servers and workers refuse to start rather than expose them.
/// </summary>
internal static class TrustedEndpointGuard
{
    /// <summary>Why <paramref name="commands"/> may not be offered on <paramref name="endpoint"/>, or null when they may.</summary>
    public static string? Violation(CommandRegistry commands, string endpoint, string verb)
    {
        var privileged = commands.All.Where(c => c.RequiresTrustedEndpoint).Select(c => c.Name).ToList();
        if (privileged.Count == 0 || EndpointAddress.IsLocalOnly(endpoint))
            return null;
        return $"Refusing to {verb} {string.Join(", ", privileged)} on {endpoint}: these commands run code sent by the caller, " +
               "so they are offered only on a loopback, ipc or inproc endpoint (e.g. tcp://127.0.0.1:5555) until the endpoint is " +
               "protected by authentication.";
    }
}
