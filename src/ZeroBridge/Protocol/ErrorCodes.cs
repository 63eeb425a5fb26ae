namespace ZeroBridge.Protocol;

/// <summary>The machine-readable codes of error replies (docs/protocol.md §3).</summary>
public static class ErrorCodes
{
    /// <summary>The message is malformed: missing frames, a bad header, undecodable msgpack.</summary>
    public const string BadRequest = "bad_request";
    /// <summary>No command of that name exists.</summary>
    public const string UnknownCommand = "unknown_command";
    /// <summary>An argument is missing, unknown or of the wrong type.</summary>
    public const string InvalidArgument = "invalid_argument";
    /// <summary>The request exceeds the server's size limit.</summary>
    public const string TooLarge = "too_large";
    /// <summary>The command threw.</summary>
    public const string CommandFailed = "command_failed";
    /// <summary>The command reported that what it was asked for does not exist.</summary>
    public const string NotFound = "not_found";
    /// <summary>The command refused the operation.</summary>
    public const string PermissionDenied = "permission_denied";
    /// <summary>
    /// The server has an allow-list and this connection has not proved an allowed client key (docs/security.md); the
    /// request did not run. Clients with a certificate prove it (<c>auth.hello</c>, <c>auth.prove</c>) and send again.
    /// </summary>
    public const string Unauthenticated = "unauthenticated";
    /// <summary>The request's deadline passed before the command finished.</summary>
    public const string Timeout = "timeout";
    /// <summary>The request was cancelled, or the server is shutting down.</summary>
    public const string Cancelled = "cancelled";
    /// <summary>A fault in the server itself, or a result that could not be serialized.</summary>
    public const string Internal = "internal";
}

/// <summary>The error codes a Majordomo broker adds (docs/protocol.md §9.5).</summary>
public static class BrokerErrorCodes
{
    /// <summary>No worker of the requested service took the request within the broker's wait time.</summary>
    public const string ServiceUnavailable = "service_unavailable";
    /// <summary>The worker running the request died or left before replying; the request was not retried.</summary>
    public const string WorkerLost = "worker_lost";
}
