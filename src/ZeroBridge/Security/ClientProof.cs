using System.Security.Cryptography;
using System.Text;
using NetMQ;
using Sodium;

namespace ZeroBridge.Security;

/// <summary>
/// The client's proof of its long-term secret key on one connection (docs/security.md, "Client authentication"):
/// a libsodium <c>crypto_box</c> from the client's key pair to the server's public key of
/// <c>"zerobridge-client-proof-v1" || server public key || client public key || challenge</c>.
/// </summary>
/// <remarks>
/// Only the holder of the client's secret key (or the server itself) can make a box that opens with the server's
/// secret key and the claimed client public key. The label names the direction and version, the server key binds the
/// proof to the server it is meant for, the challenge binds it to one fresh server request. libsodium does the
/// cryptography (Sodium.Core here, PyNaCl in Python); nothing of it is written by hand.
/// </remarks>
public static class ClientProof
{
    /// <summary>The first bytes of every proof message: what it is, in which direction, which version.</summary>
    public static ReadOnlySpan<byte> Label => "zerobridge-client-proof-v1"u8;

    /// <summary>The length of a server challenge in bytes.</summary>
    public const int ChallengeLength = 32;

    /// <summary>The length of a proof's nonce in bytes (crypto_box).</summary>
    public const int NonceLength = 24;

    /// <summary>A fresh random challenge.</summary>
    public static byte[] NewChallenge() => RandomNumberGenerator.GetBytes(ChallengeLength);

    /// <summary>The message a proof boxes.</summary>
    public static byte[] Message(ReadOnlySpan<byte> serverPublicKey, ReadOnlySpan<byte> clientPublicKey, ReadOnlySpan<byte> challenge) =>
        [.. Label, .. serverPublicKey, .. clientPublicKey, .. challenge];

    /// <summary>The proof a client sends for <paramref name="challenge"/>: a random nonce and the box.</summary>
    /// <param name="serverKey">The server's public key, Z85 (the key the client pinned).</param>
    /// <param name="client">The client's key pair.</param>
    /// <param name="challenge">The challenge the server sent in reply to <c>auth.hello</c>.</param>
    /// <exception cref="ArgumentException">The certificate has no secret key.</exception>
    public static (byte[] Nonce, byte[] Box) Create(string serverKey, ZeroBridgeCertificate client, ReadOnlySpan<byte> challenge)
    {
        if (!client.HasSecretKey)
            throw new ArgumentException("The client proof needs the client's secret key (the NAME.key_secret file).", nameof(client));
        var pair = client.ToNetMQ();
        byte[] serverPublic = NetMQCertificate.FromPublicKey(serverKey).PublicKey;
        byte[] nonce = RandomNumberGenerator.GetBytes(NonceLength);
        byte[] box = PublicKeyBox.Create(Message(serverPublic, pair.PublicKey, challenge), nonce, pair.SecretKey!, serverPublic); // HasSecretKey above
        return (nonce, box);
    }

    /// <summary>Whether <paramref name="box"/> proves that its sender holds the secret key of <paramref name="clientKey"/>.</summary>
    /// <param name="server">The server's key pair.</param>
    /// <param name="clientKey">The client public key the proof claims, raw 32 bytes.</param>
    /// <param name="challenge">The challenge this proof must name.</param>
    /// <param name="nonce">The proof's nonce.</param>
    /// <param name="box">The proof.</param>
    public static bool Verify(ZeroBridgeCertificate server, byte[] clientKey, ReadOnlySpan<byte> challenge, byte[] nonce, byte[] box)
    {
        if (clientKey.Length != 32 || nonce.Length != NonceLength || challenge.Length != ChallengeLength)
            return false;
        var pair = server.ToNetMQ();
        byte[] opened;
        try
        {
            opened = PublicKeyBox.Open(box, nonce, pair.SecretKey!, clientKey); // a listener's own pair always has it
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(opened, Message(pair.PublicKey, clientKey, challenge));
    }

    /// <summary>The Z85 form of a raw 32-byte public key.</summary>
    internal static string Z85(byte[] publicKey) => NetMQCertificate.FromPublicKey(publicKey).PublicKeyZ85;

    /// <summary>A Z85 public key as its raw 32 bytes; null when it is not a valid key.</summary>
    internal static byte[]? Raw(string z85)
    {
        try
        {
            return ZeroBridgeCertificate.FromKeys(z85).ToNetMQ().PublicKey;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
