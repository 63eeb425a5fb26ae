namespace ZeroBridge.Cli;

/// <summary>Reads an endpoint typed on the command line.</summary>
internal static class Endpoints
{
    /// <summary>The ZeroMQ transports zbridge can use.</summary>
    private static readonly string[] Transports = ["tcp://", "ipc://", "inproc://"];

    /// <summary>
    /// The endpoint as ZeroMQ wants it: <c>host:port</c> is taken as <c>tcp://host:port</c> (as NATS and Redis clients
    /// take it); another scheme, such as <c>http://</c>, is a usage error that says what an endpoint looks like.
    /// </summary>
    /// <exception cref="UsageException">The text is not an endpoint.</exception>
    public static string Normalize(string text)
    {
        text = text.Trim();
        if (Transports.Any(t => text.StartsWith(t, StringComparison.OrdinalIgnoreCase)))
            return RequirePort(text);
        int scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
            throw new UsageException($"'{text}' is not a ZeroMQ endpoint: zbridge speaks ZeroMQ, not {text[..scheme]}; use tcp://host:port");
        if (text.Length == 0)
            throw new UsageException("the endpoint is empty; use tcp://host:port");
        return RequirePort("tcp://" + text);
    }

    private static string RequirePort(string endpoint)
    {
        if (!endpoint.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase))
            return endpoint;
        string address = endpoint["tcp://".Length..];
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1 || (address[(colon + 1)..] != "*" && !ushort.TryParse(address[(colon + 1)..], out _)))
            throw new UsageException($"'{endpoint}' has no port; use tcp://host:port, e.g. tcp://127.0.0.1:5555");
        return endpoint;
    }
}
