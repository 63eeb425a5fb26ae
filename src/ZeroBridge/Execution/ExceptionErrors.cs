using ZeroBridge.Commands;
using ZeroBridge.Protocol;

namespace ZeroBridge.Execution;

/// <summary>Which error map a caller sees for an exception a command (or the executor) threw (docs/protocol.md §3).</summary>
internal static class ExceptionErrors
{
    /// <summary>The error map for <paramref name="exception"/>; <paramref name="deadlinePassed"/> turns a cancellation into <c>timeout</c>.</summary>
    /// <param name="exception">What the command (or the executor) threw.</param>
    /// <param name="includeStack">Whether the caller may see the stack trace.</param>
    /// <param name="deadlinePassed">Whether a cancellation came from the call's deadline.</param>
    /// <param name="registry">The application's own exception-to-code mappings (<see cref="CommandRegistry.MapException{TException}"/>), consulted first.</param>
    public static ErrorMap ToErrorMap(Exception exception, bool includeStack, bool deadlinePassed = false, CommandRegistry? registry = null)
    {
        string code = registry?.ErrorCodeFor(exception) ?? exception switch
        {
            CommandException command => command.Code,
            OperationCanceledException => deadlinePassed ? ErrorCodes.Timeout : ErrorCodes.Cancelled,
            ZeroBridgeSerializationException => ErrorCodes.Internal,
            // The framework's own way of saying "the caller passed a bad value" (ArgumentOutOfRange, ArgumentNull too).
            ArgumentException => ErrorCodes.InvalidArgument,
            _ => ErrorCodes.CommandFailed,
        };
        string message = exception switch
        {
            OperationCanceledException when deadlinePassed => DeadlineMessage,
            ZeroBridgeSerializationException => $"The command's result could not be serialized: {exception.Message}",
            _ => exception.Message,
        };
        string type = exception is CommandException reported ? reported.RemoteType : exception.GetType().FullName ?? exception.GetType().Name;
        string? stack = exception is CommandException withStack ? withStack.RemoteStackTrace : exception.StackTrace;
        var details = (exception as CommandException)?.Details
            ?? (exception is ArgumentException { ParamName: { } parameter } ? new Dictionary<string, object?> { ["parameter"] = parameter } : null);
        return new ErrorMap(code, type, message, includeStack ? stack : null, details);
    }

    /// <summary>The message of a <c>timeout</c> error.</summary>
    public const string DeadlineMessage = "The request's deadline passed before the command finished.";
}
