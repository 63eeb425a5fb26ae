namespace ZeroBridge;

/// <summary>
/// The peers could not establish who they are: the CURVE handshake did not complete (a wrong server key, or a
/// server that does not use CURVE), or the server refused the client's key. See docs/security.md.
/// </summary>
public sealed class ZeroBridgeAuthenticationException : ZeroBridgeException
{
    /// <summary>Creates an authentication exception whose message names the likely cause.</summary>
    public ZeroBridgeAuthenticationException(string message) : base(message) { }
}
