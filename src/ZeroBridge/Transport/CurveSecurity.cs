using NetMQ;

namespace ZeroBridge.Transport;

/// <summary>
/// CurveZMQ (RFC 26) on a socket, set in this one place for every component: servers, brokers, publishers and
/// producers are CURVE servers with their long-term key pair; clients, workers and subscribers pin the server's
/// public key. See docs/security.md.
/// </summary>
/// <remarks>
/// Must be applied before the socket binds or connects. A CURVE server accepts only CURVE peers and a CURVE client
/// talks only to the holder of the pinned key (ZMTP refuses a mechanism mismatch either way: no downgrade).
/// </remarks>
internal static class CurveSecurity
{
    /// <summary>Makes <paramref name="socket"/> a CURVE server with <paramref name="keyPair"/>; nothing when it is null.</summary>
    /// <exception cref="ArgumentException">The certificate has no secret key.</exception>
    public static void UseCurveServer(this NetMQSocket socket, NetMQCertificate? keyPair)
    {
        if (keyPair is null)
            return;
        if (!keyPair.HasSecretKey)
            throw new ArgumentException("A CURVE server needs its secret key (the NAME.key_secret file), not only the public one.");
        socket.Options.CurveServer = true;
        socket.Options.CurveCertificate = keyPair;
    }

    /// <summary>
    /// Makes <paramref name="socket"/> a CURVE client of the server whose public key is <paramref name="serverKey"/>
    /// (Z85); nothing when it is null. The client's own key pair is <paramref name="keyPair"/>, or a fresh throwaway
    /// pair (a server without an allow-list does not care which key a client has).
    /// </summary>
    public static void UseCurveClient(this NetMQSocket socket, string? serverKey, NetMQCertificate? keyPair)
    {
        if (serverKey is null)
            return;
        if (keyPair is { HasSecretKey: false })
            throw new ArgumentException("A CURVE client's own certificate needs its secret key (the NAME.key_secret file).");
        socket.Options.CurveServerCertificate = NetMQCertificate.FromPublicKey(serverKey);
        socket.Options.CurveCertificate = keyPair ?? new NetMQCertificate();
    }
}
