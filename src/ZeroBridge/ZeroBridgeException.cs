using ZeroBridge.Protocol;

namespace ZeroBridge;

/// <summary>
/// The base of every exception ZeroBridge raises. Catch this to handle any ZeroBridge failure;
/// catch a subclass to handle one kind.
/// </summary>
/// <remarks>
/// The tree mirrors Python's <c>zerobridge</c> exceptions: <see cref="ZeroBridgeTransportException"/> (with
/// <see cref="ZeroBridgeTimeoutException"/> under it), <see cref="ZeroBridgeAuthenticationException"/>, <see cref="ZeroBridgeProtocolException"/>,
/// <see cref="ZeroBridgeSerializationException"/>, <see cref="ZeroBridgeRemoteException"/> (typed by error code) and
/// <see cref="Commands.CommandException"/> (what a command throws to report an error on purpose).
/// </remarks>
public class ZeroBridgeException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public ZeroBridgeException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public ZeroBridgeException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>A message could not travel: the connection or the transport failed.</summary>
/// <remarks>
/// As Python's <c>TransportError</c>: a client given an endpoint it cannot connect to (unknown transport, malformed
/// address) throws it at once. ZeroMQ connects and reconnects in the background, so a server that is not there,
/// refuses, or goes away mid-call is seen as no reply: <see cref="ZeroBridgeTimeoutException"/>, a subclass.
/// </remarks>
public class ZeroBridgeTransportException : ZeroBridgeException
{
    /// <summary>Creates a transport exception.</summary>
    public ZeroBridgeTransportException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>A call did not get its reply in time.</summary>
public sealed class ZeroBridgeTimeoutException : ZeroBridgeTransportException
{
    /// <summary>Creates a timeout exception that names what timed out.</summary>
    public ZeroBridgeTimeoutException(string message) : base(message) { }
}

/// <summary>
/// The peers could not establish who they are: the CURVE handshake did not complete (a wrong server key, or a
/// server that does not use CURVE), or the server refused the client's key. See docs/security.md.
/// </summary>
public sealed class ZeroBridgeAuthenticationException : ZeroBridgeException
{
    /// <summary>Creates an authentication exception whose message names the likely cause.</summary>
    public ZeroBridgeAuthenticationException(string message) : base(message) { }
}

/// <summary>A peer sent something that does not follow the ZeroBridge protocol.</summary>
public sealed class ZeroBridgeProtocolException : ZeroBridgeException
{
    /// <summary>Creates a protocol exception.</summary>
    public ZeroBridgeProtocolException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>A value could not be turned into bytes, or bytes into the value asked for.</summary>
public sealed class ZeroBridgeSerializationException : ZeroBridgeException
{
    /// <summary>Creates a serialization exception.</summary>
    public ZeroBridgeSerializationException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>
/// The remote side answered with an error (docs/protocol.md §3). Codes with a meaning a caller acts on have a
/// subclass of their own (<see cref="RemoteCommandNotFoundException"/>, <see cref="RemoteNotFoundException"/>, ...);
/// any other code arrives as this type, with <see cref="Code"/> saying which.
/// </summary>
public class ZeroBridgeRemoteException : ZeroBridgeException
{
    /// <summary>Creates a remote exception from the fields of an error reply.</summary>
    public ZeroBridgeRemoteException(string code, string? remoteType, string message, string? remoteStackTrace,
        IReadOnlyDictionary<string, object?>? details)
        : base(message)
    {
        Code = code;
        RemoteType = remoteType;
        RemoteStackTrace = remoteStackTrace;
        Details = details ?? new Dictionary<string, object?>();
    }

    /// <summary>The machine-readable error code, one of <see cref="Protocol.ErrorCodes"/> or <see cref="BrokerErrorCodes"/>.</summary>
    public string Code { get; }

    /// <summary>The type name of the exception on the remote side, if it sent one.</summary>
    public string? RemoteType { get; }

    /// <summary>The stack trace on the remote side, if it sent one.</summary>
    public string? RemoteStackTrace { get; }

    /// <summary>Extra facts the error carries, such as the parameter that failed to bind.</summary>
    public IReadOnlyDictionary<string, object?> Details { get; }

    /// <summary>The exception of the family that matches <paramref name="code"/> (the base type for other codes).</summary>
    public static ZeroBridgeRemoteException Create(string code, string? remoteType, string message, string? remoteStackTrace,
        IReadOnlyDictionary<string, object?>? details) => code switch
    {
        ErrorCodes.UnknownCommand => new RemoteCommandNotFoundException(remoteType, message, remoteStackTrace, details),
        ErrorCodes.InvalidArgument => new RemoteInvalidArgumentException(remoteType, message, remoteStackTrace, details),
        ErrorCodes.NotFound => new RemoteNotFoundException(remoteType, message, remoteStackTrace, details),
        ErrorCodes.PermissionDenied => new RemotePermissionDeniedException(remoteType, message, remoteStackTrace, details),
        ErrorCodes.Unauthenticated => new RemoteUnauthenticatedException(remoteType, message, remoteStackTrace, details),
        ErrorCodes.Timeout => new RemoteTimeoutException(remoteType, message, remoteStackTrace, details),
        ErrorCodes.TooLarge => new RequestTooLargeException(remoteType, message, remoteStackTrace, details),
        BrokerErrorCodes.ServiceUnavailable => new ServiceUnavailableException(remoteType, message, remoteStackTrace, details),
        BrokerErrorCodes.WorkerLost => new WorkerLostException(remoteType, message, remoteStackTrace, details),
        _ => new ZeroBridgeRemoteException(code, remoteType, message, remoteStackTrace, details),
    };
}

// The remote family carries a "Remote" prefix where ZeroBridge.Commands has an exception of the same meaning for a
// command to throw (NotFoundException, ...): those are raised on the serving side, these are caught by the caller.

/// <summary>No command of that name (code <c>unknown_command</c>); <c>Details["suggestions"]</c> lists close names.</summary>
public sealed class RemoteCommandNotFoundException(string? remoteType, string message, string? remoteStackTrace,
    IReadOnlyDictionary<string, object?>? details)
    : ZeroBridgeRemoteException(ErrorCodes.UnknownCommand, remoteType, message, remoteStackTrace, details);

/// <summary>An argument was missing, unknown or of the wrong type (code <c>invalid_argument</c>).</summary>
public sealed class RemoteInvalidArgumentException(string? remoteType, string message, string? remoteStackTrace,
    IReadOnlyDictionary<string, object?>? details)
    : ZeroBridgeRemoteException(ErrorCodes.InvalidArgument, remoteType, message, remoteStackTrace, details);

/// <summary>What the command was asked for does not exist (code <c>not_found</c>).</summary>
public sealed class RemoteNotFoundException(string? remoteType, string message, string? remoteStackTrace,
    IReadOnlyDictionary<string, object?>? details)
    : ZeroBridgeRemoteException(ErrorCodes.NotFound, remoteType, message, remoteStackTrace, details);

/// <summary>The command refused the operation (code <c>permission_denied</c>).</summary>
public sealed class RemotePermissionDeniedException(string? remoteType, string message, string? remoteStackTrace,
    IReadOnlyDictionary<string, object?>? details)
    : ZeroBridgeRemoteException(ErrorCodes.PermissionDenied, remoteType, message, remoteStackTrace, details);

/// <summary>
/// The server (or broker) serves only allowed client keys and this connection has not proved one (code
/// <c>unauthenticated</c>): the client has no certificate, or its key is not on the allow-list. The request did not run.
/// </summary>
public sealed class RemoteUnauthenticatedException(string? remoteType, string message, string? remoteStackTrace,
    IReadOnlyDictionary<string, object?>? details)
    : ZeroBridgeRemoteException(ErrorCodes.Unauthenticated, remoteType, message, remoteStackTrace, details);

/// <summary>The server gave up on the request at its deadline (code <c>timeout</c>).</summary>
public sealed class RemoteTimeoutException(string? remoteType, string message, string? remoteStackTrace,
    IReadOnlyDictionary<string, object?>? details)
    : ZeroBridgeRemoteException(ErrorCodes.Timeout, remoteType, message, remoteStackTrace, details);

/// <summary>The request exceeded the server's size limit (code <c>too_large</c>).</summary>
public sealed class RequestTooLargeException(string? remoteType, string message, string? remoteStackTrace,
    IReadOnlyDictionary<string, object?>? details)
    : ZeroBridgeRemoteException(ErrorCodes.TooLarge, remoteType, message, remoteStackTrace, details);

/// <summary>No worker of the service took the request in time (broker code <c>service_unavailable</c>); it never ran.</summary>
public sealed class ServiceUnavailableException(string? remoteType, string message, string? remoteStackTrace,
    IReadOnlyDictionary<string, object?>? details)
    : ZeroBridgeRemoteException(BrokerErrorCodes.ServiceUnavailable, remoteType, message, remoteStackTrace, details);

/// <summary>The worker running the request was lost (code <c>worker_lost</c>); it may or may not have run.</summary>
public sealed class WorkerLostException(string? remoteType, string message, string? remoteStackTrace,
    IReadOnlyDictionary<string, object?>? details)
    : ZeroBridgeRemoteException(BrokerErrorCodes.WorkerLost, remoteType, message, remoteStackTrace, details);
