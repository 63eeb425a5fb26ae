namespace ZeroBridge.Commands;

/// <summary>
/// Facts about the request a command is serving. Declare a parameter of this type to receive it; callers do not
/// see or pass it.
/// </summary>
public sealed class CommandContext
{
    /// <summary>Creates a context.</summary>
    public CommandContext(string command, string peer, CancellationToken cancellationToken, IServiceProvider? services = null)
    {
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

    /// <summary>Cancelled when the caller gives up, its deadline passes, or the server stops.</summary>
    public CancellationToken CancellationToken { get; }
}
