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
}
