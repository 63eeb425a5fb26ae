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
    /// How many times a call that got no reply in time is sent again, each time with a fresh <see cref="Timeout"/>
    /// (default: 0). Meant for a broker that restarts or a service that is briefly away; only safe for commands that
    /// may run twice, since the first attempt may have run anyway.
    /// </summary>
    public int Retries { get; init; }
}
