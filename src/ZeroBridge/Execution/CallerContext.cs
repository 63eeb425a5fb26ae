namespace ZeroBridge.Execution;

/// <summary>
/// Who is asking: what a route knows about the sender of a request, handed to the executor with every call.
/// Today the peer's address; the caller's authenticated identity and its permissions belong here too.
/// </summary>
/// <param name="Peer">
/// The sender's address as the route knows it: the hex ROUTER identity of the connection for a direct server and
/// the JSON gateway, the client's address the broker forwarded for an MDP worker, the worker's name for a task.
/// </param>
public sealed record CallerContext(string Peer);
