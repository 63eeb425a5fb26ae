namespace ZeroBridge.Commands;

/// <summary>
/// Marks a command that must only be reachable by trusted clients, such as one that runs code sent by the caller.
/// A server refuses to start with such a command on an endpoint other clients can reach: only loopback, ipc and
/// inproc endpoints are accepted until the endpoint is protected by authentication.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresTrustedEndpointAttribute : Attribute;
