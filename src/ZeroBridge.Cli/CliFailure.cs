using System.Net.Sockets;
using NetMQ;

namespace ZeroBridge.Cli;

/// <summary>
/// Turns an exception that reached the top of a verb into one <c>error:</c> line and an exit code
/// (<see cref="ExitCodes"/>): a user's mistake or a network failure never prints a stack trace.
/// </summary>
internal static class CliFailure
{
    /// <summary>The exit code and the message for <paramref name="exception"/>.</summary>
    public static (int ExitCode, string Message) Describe(Exception exception) => exception switch
    {
        UsageException or ArgumentException => (ExitCodes.Usage, exception.Message),
        OperationCanceledException => (ExitCodes.Interrupted, "interrupted"),
        ZeroBridgeAuthenticationException => (ExitCodes.Unreachable, exception.Message),
        ZeroBridgeTimeoutException => (ExitCodes.Unreachable, exception.Message + " (is the server running, and is the endpoint right? A server that uses CURVE answers only " +
            "clients given its public key: --server-key NAME.key)"),
        ZeroBridgeTransportException { InnerException: SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } socket } =>
            (ExitCodes.Unreachable, $"unknown host ({socket.Message})"),
        ZeroBridgeTransportException => (ExitCodes.Unreachable, exception.Message),
        ZeroBridgeRemoteException remote => (ExitCodes.RemoteError, $"{remote.Code}: {remote.Message}"),
        ZeroBridgeException => (ExitCodes.RemoteError, exception.Message),
        AddressAlreadyInUseException => (ExitCodes.Unreachable,
            $"{exception.Message.TrimEnd('.')} (another server is running there?): choose another with --bind, or stop the other one"),
        ProtocolNotSupportedException => (ExitCodes.Usage, $"{exception.Message}: endpoints look like tcp://host:port"),
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } socket =>
            (ExitCodes.Unreachable, $"unknown host ({socket.Message})"),
        SocketException socket => (ExitCodes.Unreachable, socket.Message),
        NetMQException netmq => (ExitCodes.Unreachable, $"{netmq.GetType().Name}: {netmq.Message}"),
        _ => (ExitCodes.RemoteError, $"{exception.GetType().Name}: {exception.Message}"),
    };

    /// <summary>Writes the <c>error:</c> line and returns the exit code.</summary>
    public static int Report(Exception exception)
    {
        var (code, message) = Describe(exception is AggregateException { InnerExceptions.Count: 1 } single ? single.InnerException! : exception);
        Console.Error.WriteLine($"error: {message}");
        return code;
    }
}
