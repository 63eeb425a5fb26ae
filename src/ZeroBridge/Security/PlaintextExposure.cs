namespace ZeroBridge.Security;

/// <summary>
/// The safe default: a component that listens beyond loopback without CURVE refuses to start, unless its operator
/// said explicitly that the network is trusted. Loopback (and <c>ipc://</c>, which NetMQ implements as loopback TCP)
/// stays zero-configuration. See docs/security.md.
/// </summary>
internal static class PlaintextExposure
{
    /// <summary>Why <paramref name="component"/> may not listen on <paramref name="endpoint"/>, or null when it may.</summary>
    /// <param name="component">What is starting, e.g. "ZeroBridge server".</param>
    /// <param name="endpoint">The endpoint it binds.</param>
    /// <param name="localOnly">Whether only this machine can reach the endpoint.</param>
    /// <param name="encrypted">Whether the socket uses CURVE.</param>
    /// <param name="insecure">Whether the operator allowed plain text beyond loopback.</param>
    public static string? Refusal(string component, string endpoint, bool localOnly, bool encrypted, bool insecure)
    {
        if (localOnly || encrypted || insecure)
            return null;
        return $"Refusing to start the {component} on {endpoint} without encryption: anyone who can reach that address " +
               "could read and call everything. Either give it a CURVE key pair (`zbridge keygen server`, then " +
               "`--cert server.key_secret`, or the Certificate option; clients use `--server-key server.key`), bind a " +
               "loopback endpoint such as tcp://127.0.0.1:5555, or, on a network you trust, say so with `--insecure` " +
               "(the Insecure option).";
    }
}
