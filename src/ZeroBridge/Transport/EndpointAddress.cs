namespace ZeroBridge.Transport;

/// <summary>Facts about ZeroMQ endpoint strings.</summary>
public static class EndpointAddress
{
    /// <summary>
    /// Whether only processes on this machine can connect: <c>ipc://</c>, <c>inproc://</c>, or <c>tcp://</c> bound to a
    /// loopback address (<c>127.0.0.0/8</c>, <c>localhost</c>, <c>[::1]</c>). A wildcard (<c>*</c>, <c>0.0.0.0</c>) or any
    /// interface address is not.
    /// </summary>
    public static bool IsLocalOnly(string endpoint)
    {
        if (endpoint.StartsWith("ipc://", StringComparison.Ordinal) || endpoint.StartsWith("inproc://", StringComparison.Ordinal))
            return true;
        if (!endpoint.StartsWith("tcp://", StringComparison.Ordinal))
            return false;
        string address = endpoint["tcp://".Length..];
        int colon = address.LastIndexOf(':');
        string host = colon >= 0 ? address[..colon] : address;
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        return host == "localhost" || host == "::1"
            || (System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip));
    }
}
