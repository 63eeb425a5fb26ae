namespace ZeroBridge.Commands;

/// <summary>
/// Facts about the request a command is serving. Declare a parameter of this type to receive it; callers do not
/// see or pass it.
/// </summary>
public sealed class CommandContext
{
    /// <summary>Creates a context.</summary>
    public CommandContext(string command, string peer, CancellationToken cancellationToken)
    {
        Command = command;
        Peer = peer;
        CancellationToken = cancellationToken;
    }

    /// <summary>The command being run.</summary>
    public string Command { get; }

    /// <summary>The identity of the connection the request came on (hex), stable for the connection's life.</summary>
    public string Peer { get; }

    /// <summary>Cancelled when the caller gives up, its deadline passes, or the server stops.</summary>
    public CancellationToken CancellationToken { get; }
}
