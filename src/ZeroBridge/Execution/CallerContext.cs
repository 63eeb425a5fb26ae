using ZeroBridge.Security;

namespace ZeroBridge.Execution;

/// <summary>
/// Who is asking: what a route knows about the sender of a request, handed to the executor with every call.
/// </summary>
/// <param name="Peer">
/// The sender's address as the route knows it: the hex ROUTER identity of the connection for a direct server and
/// the JSON gateway, the client's address the broker forwarded for an MDP worker, the worker's name for a task.
/// </param>
/// <param name="Identity">
/// The client's proved identity and permissions when the route authenticates clients (an allow-list is configured),
/// else null: every command may then be called, as before authentication existed.
/// </param>
public sealed record CallerContext(string Peer, CallerIdentity? Identity = null);
