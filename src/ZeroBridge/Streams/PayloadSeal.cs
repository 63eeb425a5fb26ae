using System.Buffers;
using System.Security.Cryptography;
using MessagePack;
using Sodium;
using ZeroBridge.Protocol;

namespace ZeroBridge.Streams;

/// <summary>
/// Encrypted stream payloads (docs/protocol.md §11.6): the value and attachment frames of one message, sealed into one
/// frame with the topic's key by libsodium's <c>crypto_secretbox</c> (XSalsa20-Poly1305) and a random nonce.
/// </summary>
/// <remarks>
/// Sealed frame: <c>nonce (24 bytes) || crypto_secretbox_easy(plaintext)</c> (16-byte MAC, then the ciphertext), where
/// the plaintext is a msgpack array of bin: <c>[value, attachment 0, attachment 1, …]</c>.
/// </remarks>
internal static class PayloadSeal
{
    /// <summary>The size of a topic key.</summary>
    public const int KeyBytes = 32;

    private const int NonceBytes = 24;
    private const int MacBytes = 16;

    /// <summary>A fresh random topic key.</summary>
    public static byte[] NewKey() => SecretBox.GenerateKey();

    /// <summary>Seals <paramref name="value"/> and its <paramref name="attachments"/> into one frame.</summary>
    public static byte[] Seal(byte[] value, IReadOnlyList<ReadOnlyMemory<byte>> attachments, byte[] key)
    {
        var plain = new ArrayBufferWriter<byte>(value.Length + 16);
        var writer = new MessagePackWriter(plain);
        writer.WriteArrayHeader(1 + attachments.Count);
        writer.Write(value);
        foreach (var attachment in attachments)
            writer.Write(attachment.Span);
        writer.Flush();
        byte[] nonce = SecretBox.GenerateNonce(); // random per message: never reused under one key
        byte[] box = SecretBox.Create(plain.WrittenSpan.ToArray(), nonce, key);
        var sealedFrame = new byte[NonceBytes + box.Length];
        nonce.CopyTo(sealedFrame, 0);
        box.CopyTo(sealedFrame, NonceBytes);
        return sealedFrame;
    }

    /// <summary>The value and attachment frames sealed in <paramref name="sealedFrame"/>.</summary>
    /// <exception cref="ZeroBridgeProtocolException">The frame does not open with <paramref name="key"/>, or is not a sealed payload.</exception>
    public static (ReadOnlyMemory<byte> Value, ReadOnlyMemory<byte>[] Attachments) Open(ReadOnlySpan<byte> sealedFrame, byte[] key)
    {
        if (sealedFrame.Length < NonceBytes + MacBytes)
            throw new ZeroBridgeProtocolException($"An encrypted stream payload of {sealedFrame.Length} bytes is too short to hold a nonce and a MAC.");
        byte[] plain;
        try
        {
            plain = SecretBox.Open(sealedFrame[NonceBytes..].ToArray(), sealedFrame[..NonceBytes].ToArray(), key);
        }
        catch (CryptographicException)
        {
            throw new ZeroBridgeProtocolException("An encrypted stream payload did not open with its topic key (altered, or sealed with another key).");
        }
        try
        {
            var reader = new MessagePackReader(plain);
            int count = reader.ReadArrayHeader();
            if (count < 1)
                throw new ZeroBridgeProtocolException("An encrypted stream payload holds no value.");
            var frames = new ReadOnlyMemory<byte>[count];
            for (int i = 0; i < count; i++)
            {
                var bytes = reader.ReadBytes() ?? throw new ZeroBridgeProtocolException("An encrypted stream payload holds a nil frame.");
                frames[i] = bytes.ToArray();
            }
            return (frames[0], frames[1..]);
        }
        catch (Exception ex) when (HeaderMaps.IsDecodeError(ex))
        {
            throw new ZeroBridgeProtocolException($"An encrypted stream payload opened but is not an array of frames: {ex.Message}", ex);
        }
    }
}
