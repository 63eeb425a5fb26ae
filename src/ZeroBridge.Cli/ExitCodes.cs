namespace ZeroBridge.Cli;

/// <summary>
/// What <c>zbridge</c>'s exit status means, so scripts can tell a mistake in the command line from a server that
/// answered with an error and from one that could not be reached.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Success = 0;

    /// <summary>The remote side answered with an error (the command failed, was unknown, was refused), or a task failed.</summary>
    public const int RemoteError = 1;

    /// <summary>The command line is wrong: an unknown option, a malformed argument or endpoint.</summary>
    public const int Usage = 2;

    /// <summary>The network: no reply in time, an unknown host, an address that cannot be bound.</summary>
    public const int Unreachable = 3;

    /// <summary>Stopped by Ctrl+C or SIGTERM before it finished (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
