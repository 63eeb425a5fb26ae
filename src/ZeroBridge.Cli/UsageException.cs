namespace ZeroBridge.Cli;

/// <summary>A mistake in the command line that parsing could not catch (a malformed endpoint or argument).</summary>
internal sealed class UsageException(string message) : Exception(message);
