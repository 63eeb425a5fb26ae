using ZeroBridge.Security;
using ZeroBridge.Transport;

namespace ZeroBridge.Server;

/// <summary>Settings of a <see cref="ZeroBridgeServer"/>. Immutable; change with <c>with</c>.</summary>
public sealed record ZeroBridgeServerOptions
{
    /// <summary>The options with every default.</summary>
    public static ZeroBridgeServerOptions Default { get; } = new();

    /// <summary>
    /// The ZeroMQ endpoint to bind (default: <c>tcp://127.0.0.1:5555</c>, loopback only). Use port <c>*</c> for an
    /// ephemeral port; <see cref="ZeroBridgeServer.Endpoint"/> then tells which.
    /// </summary>
    public string Endpoint { get; init; } = "tcp://127.0.0.1:5555";

    /// <summary>
    /// The largest request accepted, all frames together (default: 256 MiB). Larger ones get a <c>too_large</c>
    /// error reply; a single frame over four times this is refused by the transport, which drops the connection.
    /// </summary>
    public long MaxRequestBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// How many commands run at once (default: twice the processor count, at least 4). A short queue waits behind
    /// them; beyond it the server stops reading, and requests wait in ZeroMQ's per-client queues, from which the
    /// socket takes one client's request after another's: a client with a deep backlog cannot starve the others, and
    /// its backlog is bounded by the high-water marks (its own sends block) instead of growing in the server.
    /// </summary>
    public int MaxConcurrency { get; init; } = Math.Max(4, Environment.ProcessorCount * 2);

    /// <summary>
    /// Whether error replies carry the remote stack trace (default: true; with <c>AddZeroBridge</c> in a host, only when
    /// the host's environment is Development). Stacks show clients the application's code paths: keep them off where
    /// callers are not the application's own developers.
    /// </summary>
    public bool IncludeStackTraces { get; init; } = true;

    /// <summary>How long stopping waits for running commands before cancelling them (default: 5 s).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The size in bytes beyond which a table result travels in chunks (row groups) of about this size, each fetched
    /// by the client in turn (default: 64 MiB). Neither side then holds much more than a chunk besides the table.
    /// </summary>
    public long TableChunkBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How long a chunked table waits for its client to ask for the next chunk before it is dropped (default: 2 min).</summary>
    public TimeSpan TableCursorIdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How many chunked tables may be in the middle of being sent at once (default: 64).</summary>
    public int MaxOpenTableCursors { get; init; } = 64;

    /// <summary>
    /// The server's CURVE key pair (default: null, plain text). When set, the server speaks only CurveZMQ, and clients
    /// must be given its public key (<see cref="ZeroBridgeCertificate.PublicKey"/>). Load it with
    /// <see cref="ZeroBridgeCertificate.Load"/> from a <c>NAME.key_secret</c> file. See docs/security.md.
    /// </summary>
    public ZeroBridgeCertificate? Certificate { get; init; }

    /// <summary>
    /// The client keys the server serves, and what each may do (default: null, any client). With an allow-list every
    /// connection must first prove an allowed key (<c>auth.hello</c>, <c>auth.prove</c>; clients given a certificate do
    /// this by themselves); until then each request is answered <c>unauthenticated</c>. Needs <see cref="Certificate"/>.
    /// <see cref="AllowList.FromDirectory"/> reads a directory of <c>NAME.key</c> files; see docs/security.md.
    /// </summary>
    public AllowList? AllowList { get; init; }

    /// <summary>
    /// Whether the server may serve in plain text on an endpoint other machines can reach (default: false: it refuses
    /// to start there without a <see cref="Certificate"/>). Only for networks where every host is trusted.
    /// </summary>
    public bool Insecure { get; init; }

    /// <summary>
    /// What every connection of clients must do to stay open (default: <see cref="Transport.ConnectionLimits.Default"/>):
    /// finish the ZeroMQ handshake within 30 s, and take what waits for it at 240 bytes/s or more. See
    /// docs/architecture.md, "Hostile peers".
    /// </summary>
    public ConnectionLimits ConnectionLimits { get; init; } = new(); // an instance of its own: configuration binds into it
}
