using ZeroBridge.Protocol;

namespace ZeroBridge.Commands;

/// <summary>
/// An error a command reports on purpose, with a code the caller can act on. Throw a subclass from a handler
/// (<see cref="NotFoundException"/>, <see cref="PermissionDeniedException"/>) or this with any code of
/// <see cref="ErrorCodes"/>. Any other exception a handler throws reaches the caller as <c>command_failed</c>.
/// </summary>
public class CommandException : ZeroBridgeException
{
    /// <summary>Creates a command error with a code and a message.</summary>
    public CommandException(string code, string message, IReadOnlyDictionary<string, object?>? details = null)
        : base(message)
    {
        Code = code;
        Details = details;
    }

    /// <summary>The error code sent to the caller.</summary>
    public string Code { get; }

    /// <summary>Extra facts sent to the caller, if any.</summary>
    public IReadOnlyDictionary<string, object?>? Details { get; }

    /// <summary>
    /// The type name the caller sees; by default this exception's own. A command that reports an error it caught
    /// (a script's exception, say) names the original type here.
    /// </summary>
    public virtual string RemoteType => GetType().FullName ?? GetType().Name;

    /// <summary>The stack trace the caller sees; by default this exception's own.</summary>
    public virtual string? RemoteStackTrace => StackTrace;
}

/// <summary>What the command was asked for does not exist (code <c>not_found</c>).</summary>
public sealed class NotFoundException(string message) : CommandException(ErrorCodes.NotFound, message);

/// <summary>The command refuses the operation (code <c>permission_denied</c>).</summary>
public sealed class PermissionDeniedException(string message) : CommandException(ErrorCodes.PermissionDenied, message);

/// <summary>No command has the name asked for (code <c>unknown_command</c>); the details suggest close names.</summary>
public sealed class UnknownCommandException(string command, IReadOnlyList<string> suggestions)
    : CommandException(ErrorCodes.UnknownCommand, Describe(command, suggestions),
        new Dictionary<string, object?> { ["command"] = command, ["suggestions"] = suggestions })
{
    private static string Describe(string command, IReadOnlyList<string> suggestions) => suggestions.Count == 0
        ? $"Unknown command '{command}'. The 'commands' command lists them."
        : $"Unknown command '{command}'. Did you mean {string.Join(" or ", suggestions.Select(s => $"'{s}'"))}?";
}

/// <summary>An argument is missing, unknown, or of the wrong type (code <c>invalid_argument</c>).</summary>
public sealed class InvalidArgumentException(string parameter, string expected, string message)
    : CommandException(ErrorCodes.InvalidArgument, message,
        new Dictionary<string, object?> { ["parameter"] = parameter, ["expected"] = expected });
