using ZeroBridge.Security;

namespace ZeroBridge.Client;

/// <summary>Settings of a <see cref="ZeroBridgeClient"/>. Immutable; change with <c>with</c>.</summary>
public sealed record ZeroBridgeClientOptions
{
    /// <summary>The options with every default.</summary>
    public static ZeroBridgeClientOptions Default { get; } = new();

    /// <summary>How long a call waits for its reply unless the call says otherwise (default: 30 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The service frame of requests (default: <c>zerobridge</c>); names the service when going through a broker.</summary>
    public string Service { get; init; } = Protocol.WireConstants.DefaultService;

    /// <summary>
    /// How many times a call is sent again (default: 0) when it got no reply in time (each attempt has a fresh
    /// <see cref="Timeout"/>), or when a broker answered <c>service_unavailable</c> (the request never ran). For a
    /// broker that restarts or a service that is briefly away. Re-sending after a timeout is only safe for commands
    /// that may run twice, since the first attempt may have run anyway.
    /// </summary>
    public int Retries { get; init; }

    /// <summary>
    /// The server's CURVE public key, Z85 (default: null, plain text). When set, the client speaks only CurveZMQ and
    /// only to the holder of this key. Read it from the server's <c>NAME.key</c> with <see cref="ZeroBridgeCertificate.Load"/>.
    /// </summary>
    public string? ServerKey { get; init; }

    /// <summary>
    /// The client's own CURVE key pair, used with <see cref="ServerKey"/> (default: null, a fresh throwaway pair per
    /// client). A server or broker with an allow-list identifies clients by it: given a certificate, the client proves
    /// its key (<c>auth.hello</c>, <c>auth.prove</c>) whenever the server answers <c>unauthenticated</c> (the first
    /// request of each connection, and after a reconnect) and sends the refused request again. Load it from a
    /// <c>NAME.key_secret</c> file.
    /// </summary>
    public ZeroBridgeCertificate? Certificate { get; init; }
}
