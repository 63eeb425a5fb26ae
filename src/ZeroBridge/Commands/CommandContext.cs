using ZeroBridge.Security;

namespace ZeroBridge.Commands;

/// <summary>
/// Facts about the request a command is serving. Declare a parameter of this type to receive it; callers do not
/// see or pass it.
/// </summary>
public sealed class CommandContext
{
    /// <summary>Creates a context.</summary>
    public CommandContext(string command, string peer, CancellationToken cancellationToken, IServiceProvider? services = null,
        CallerIdentity? caller = null)
    {
        Caller = caller;
        Command = command;
        Peer = peer;
        CancellationToken = cancellationToken;
        Services = services;
    }

    /// <summary>
    /// The request's dependency-injection scope (one per request, like an ASP.NET Core request's
    /// <c>RequestServices</c>), or null when the registry was not created with a service provider.
    /// </summary>
    public IServiceProvider? Services { get; }

    /// <summary>The command being run.</summary>
    public string Command { get; }

    /// <summary>The identity of the connection the request came on (hex), stable for the connection's life.</summary>
    public string Peer { get; }

    /// <summary>
    /// The caller's proved identity (its public key, the <c>name</c> of its certificate, its permissions) when the
    /// server or broker authenticates clients with an allow-list (docs/security.md); null when it does not. For a
    /// command's own checks and audit logs.
    /// </summary>
    public CallerIdentity? Caller { get; }

    /// <summary>Cancelled when the caller gives up, its deadline passes, or the server stops.</summary>
    public CancellationToken CancellationToken { get; }
}
