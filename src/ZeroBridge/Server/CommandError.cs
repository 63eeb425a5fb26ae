using ZeroBridge.Commands;
using ZeroBridge.Protocol;

namespace ZeroBridge.Server;

/// <summary>The error map of a failed reply (docs/protocol.md §3).</summary>
/// <param name="Code">One of <see cref="ErrorCodes"/>.</param>
/// <param name="Type">The .NET exception type's full name.</param>
/// <param name="Message">The human-readable message.</param>
/// <param name="Stack">The stack trace, when the server sends them.</param>
/// <param name="Details">Extra facts for the code, or null.</param>
public sealed record CommandError(string Code, string Type, string Message, string? Stack,
    IReadOnlyDictionary<string, object?>? Details)
{
    /// <summary>The error a caller sees for an exception a command (or the server) threw.</summary>
    public static CommandError From(Exception exception, bool includeStack, bool deadlinePassed = false)
    {
        string code = exception switch
        {
            CommandException command => command.Code,
            OperationCanceledException => deadlinePassed ? ErrorCodes.Timeout : ErrorCodes.Cancelled,
            ZeroBridgeSerializationException => ErrorCodes.Internal,
            _ => ErrorCodes.CommandFailed,
        };
        string message = exception switch
        {
            OperationCanceledException when deadlinePassed => "The request's deadline passed before the command finished.",
            ZeroBridgeSerializationException => $"The command's result could not be serialized: {exception.Message}",
            _ => exception.Message,
        };
        string type = exception is CommandException reported ? reported.RemoteType : exception.GetType().FullName ?? exception.GetType().Name;
        string? stack = exception is CommandException withStack ? withStack.RemoteStackTrace : exception.StackTrace;
        return new CommandError(code, type, message, includeStack ? stack : null, (exception as CommandException)?.Details);
    }

    /// <summary>An error raised by the protocol layer itself, with no exception behind it.</summary>
    public static CommandError Protocol(string code, string message, IReadOnlyDictionary<string, object?>? details = null) =>
        new(code, typeof(ZeroBridgeProtocolException).FullName!, message, null, details);

    /// <summary>The error as the msgpack map the protocol sends.</summary>
    public Dictionary<string, object?> ToWire() => new()
    {
        ["code"] = Code,
        ["type"] = Type,
        ["message"] = Message,
        ["stack"] = Stack,
        ["details"] = Details,
    };
}
