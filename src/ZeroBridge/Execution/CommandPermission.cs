using ZeroBridge.Commands;
using ZeroBridge.Security;

namespace ZeroBridge.Execution;

/// <summary>
/// Whether an authenticated caller may run a command (docs/security.md, "Authorization"): the built-ins (<c>ping</c>,
/// <c>commands</c>, <c>table.*</c>) always; an application command when the key's <c>commands</c> patterns match its
/// name; a command that runs caller code (<see cref="RequiresTrustedEndpointAttribute"/>) only when the key also has
/// <c>scripts = "true"</c>. A caller with no identity (no allow-list on the route) may run everything.
/// </summary>
internal static class CommandPermission
{
    /// <exception cref="PermissionDeniedException">The caller may not run the command; the message says what it lacks.</exception>
    public static void Check(CommandDescriptor command, bool builtIn, CallerIdentity? caller)
    {
        if (caller is null || builtIn)
            return;
        if (!caller.Permissions.AllowsCommand(command.Name))
            throw new PermissionDeniedException(
                $"{caller.Display} may not call '{command.Name}': no pattern in its certificate's 'commands' matches it.");
        if (command.RequiresTrustedEndpoint && !caller.Permissions.Scripts)
            throw new PermissionDeniedException(
                $"{caller.Display} may not call '{command.Name}', which runs code sent by the caller: its certificate lacks scripts = \"true\".");
    }
}
