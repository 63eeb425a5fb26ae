using ZeroBridge.Commands;
using ZeroBridge.Protocol;

namespace ZeroBridge.Execution;

/// <summary>Which error map a caller sees for an exception a command (or the executor) threw (docs/protocol.md §3).</summary>
internal static class ExceptionErrors
{
    /// <summary>The error map for <paramref name="exception"/>; <paramref name="deadlinePassed"/> turns a cancellation into <c>timeout</c>.</summary>
    public static ErrorMap ToErrorMap(Exception exception, bool includeStack, bool deadlinePassed = false)
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
            OperationCanceledException when deadlinePassed => DeadlineMessage,
            ZeroBridgeSerializationException => $"The command's result could not be serialized: {exception.Message}",
            _ => exception.Message,
        };
        string type = exception is CommandException reported ? reported.RemoteType : exception.GetType().FullName ?? exception.GetType().Name;
        string? stack = exception is CommandException withStack ? withStack.RemoteStackTrace : exception.StackTrace;
        return new ErrorMap(code, type, message, includeStack ? stack : null, (exception as CommandException)?.Details);
    }

    /// <summary>The message of a <c>timeout</c> error.</summary>
    public const string DeadlineMessage = "The request's deadline passed before the command finished.";
}
