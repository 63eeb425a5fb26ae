using System.Security.Cryptography;
using System.Text;

namespace ZeroBridge.Kernel.Messaging;

/// <summary>
/// Signs and checks Jupyter messages: HMAC-SHA256 over the header, parent header, metadata and content frames,
/// hex-encoded. With an empty key messages are neither signed nor checked, as the spec says.
/// </summary>
public sealed class MessageSigner
{
    private readonly byte[] _key;

    /// <summary>A signer for the key of a connection file.</summary>
    public MessageSigner(string key) => _key = Encoding.UTF8.GetBytes(key);

    /// <summary>Whether messages are signed at all.</summary>
    public bool Enabled => _key.Length > 0;

    /// <summary>The signature of the four signed frames, as lowercase hex (empty when signing is off).</summary>
    public string Sign(ReadOnlySpan<byte> header, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> content)
    {
        if (!Enabled)
            return "";
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Compute(header, parent, metadata, content, mac);
        return Hex.Lower(mac);
    }

    /// <summary>Whether <paramref name="signature"/> (hex) is right for the frames; compared in constant time.</summary>
    public bool Verify(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> header, ReadOnlySpan<byte> parent,
        ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> content)
    {
        if (!Enabled)
            return true;
        if (signature.Length != HMACSHA256.HashSizeInBytes * 2)
            return false;
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!Hex.TryDecode(Encoding.ASCII.GetString(signature), given))
            return false;
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Compute(header, parent, metadata, content, expected);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    private void Compute(ReadOnlySpan<byte> header, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> metadata,
        ReadOnlySpan<byte> content, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(header);
        hmac.AppendData(parent);
        hmac.AppendData(metadata);
        hmac.AppendData(content);
        hmac.GetHashAndReset(destination);
    }
}
