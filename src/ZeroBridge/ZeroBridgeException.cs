namespace ZeroBridge;

/// <summary>
/// The base of every exception ZeroBridge raises. Catch this to handle any ZeroBridge failure;
/// catch a subclass to handle one kind.
/// </summary>
/// <remarks>
/// The family is flat on purpose: <see cref="ZeroBridgeTimeoutException"/>, <see cref="ZeroBridgeProtocolException"/>,
/// <see cref="ZeroBridgeRemoteException"/> and <see cref="ZeroBridgeSerializationException"/>.
/// </remarks>
public class ZeroBridgeException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public ZeroBridgeException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public ZeroBridgeException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>A call did not get its reply in time.</summary>
public sealed class ZeroBridgeTimeoutException : ZeroBridgeException
{
    /// <summary>Creates a timeout exception that names what timed out.</summary>
    public ZeroBridgeTimeoutException(string message) : base(message) { }
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
/// The remote side answered with an error: the command failed, was unknown, or its arguments did not bind.
/// </summary>
public sealed class ZeroBridgeRemoteException : ZeroBridgeException
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

    /// <summary>The machine-readable error code, one of <see cref="Protocol.ErrorCodes"/>.</summary>
    public string Code { get; }

    /// <summary>The type name of the exception on the remote side, if it sent one.</summary>
    public string? RemoteType { get; }

    /// <summary>The stack trace on the remote side, if it sent one.</summary>
    public string? RemoteStackTrace { get; }

    /// <summary>Extra facts the error carries, such as the parameter that failed to bind.</summary>
    public IReadOnlyDictionary<string, object?> Details { get; }
}
