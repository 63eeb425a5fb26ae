using System.Buffers;
using MessagePack;

namespace ZeroBridge.Protocol;

/// <summary>
/// The two requests of the client proof and their replies (docs/protocol.md §15): <c>auth.hello</c> (no arguments;
/// reply <c>{"challenge": bin 32}</c>) and <c>auth.prove</c> (keyword arguments <c>key</c>, <c>challenge</c>,
/// <c>nonce</c>, <c>proof</c>; reply <c>{"key": str, "name": str|nil}</c>). The same identity map is the frame a
/// broker stamps on the requests it forwards to its workers (docs/protocol.md §9.3).
/// </summary>
public static class AuthMessages
{
    /// <summary>The command that asks for a challenge.</summary>
    public const string Hello = "auth.hello";

    /// <summary>The command that sends the proof.</summary>
    public const string Prove = "auth.prove";

    /// <summary>Whether <paramref name="command"/> is one of the proof's commands (handled by the socket, not the executor).</summary>
    public static bool IsAuthCommand(string? command) => command is Hello or Prove;

    /// <summary>The arguments of an <c>auth.prove</c>.</summary>
    /// <param name="Key">The client's public key, Z85.</param>
    /// <param name="Challenge">The challenge being answered.</param>
    /// <param name="Nonce">The box's nonce.</param>
    /// <param name="Proof">The box.</param>
    public sealed record ProveArguments(string Key, byte[] Challenge, byte[] Nonce, byte[] Proof);

    /// <summary>Reads the <c>[positional, keyword]</c> arguments frame of an <c>auth.prove</c>.</summary>
    /// <param name="arguments">The arguments frame.</param>
    /// <param name="base64">Whether <c>challenge</c>, <c>nonce</c> and <c>proof</c> are base64 text (the JSON gateway's
    /// spelling, docs/protocol.md §6.1) rather than msgpack <c>bin</c>.</param>
    /// <exception cref="ZeroBridgeProtocolException">A field is missing or of the wrong type; the message names it.</exception>
    public static ProveArguments ReadProve(ReadOnlyMemory<byte>? arguments, bool base64 = false)
    {
        var binary = base64 ? MessagePackType.String : MessagePackType.Binary;
        if (arguments is not { } frame || MessagePackShape.Check(frame.Span, out _) is not null)
            throw new ZeroBridgeProtocolException("auth.prove needs an arguments frame [[], {key, challenge, nonce, proof}].");
        string? key = null;
        byte[]? challenge = null, nonce = null, proof = null;
        try
        {
            var reader = new MessagePackReader(frame);
            if (reader.NextMessagePackType != MessagePackType.Array || reader.ReadArrayHeader() != 2)
                throw new ZeroBridgeProtocolException("auth.prove's arguments must be [positional, keyword].");
            reader.Skip();
            if (reader.NextMessagePackType != MessagePackType.Map)
                throw new ZeroBridgeProtocolException("auth.prove's keyword arguments must be a map.");
            int count = reader.ReadMapHeader();
            for (int i = 0; i < count; i++)
            {
                switch (HeaderMaps.NextKey(ref reader))
                {
                    case null:
                        continue;
                    case "key" when reader.NextMessagePackType == MessagePackType.String:
                        key = reader.ReadString();
                        break;
                    case "challenge" when reader.NextMessagePackType == binary:
                        challenge = ReadBinary(ref reader, base64, "challenge");
                        break;
                    case "nonce" when reader.NextMessagePackType == binary:
                        nonce = ReadBinary(ref reader, base64, "nonce");
                        break;
                    case "proof" when reader.NextMessagePackType == binary:
                        proof = ReadBinary(ref reader, base64, "proof");
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (Exception ex) when (HeaderMaps.IsDecodeError(ex))
        {
            throw new ZeroBridgeProtocolException($"auth.prove's arguments are not valid msgpack: {ex.Message}", ex);
        }
        if (key is null || challenge is null || nonce is null || proof is null)
            throw new ZeroBridgeProtocolException(base64
                ? "auth.prove needs the arguments key (Z85 text), challenge, nonce and proof (base64 text)."
                : "auth.prove needs the keyword arguments key (str, Z85), challenge, nonce and proof (bin).");
        return new ProveArguments(key, challenge, nonce, proof);
    }

    private static byte[] ReadBinary(ref MessagePackReader reader, bool base64, string name)
    {
        if (!base64)
            return reader.ReadBytes()!.Value.ToArray();
        try
        {
            return Convert.FromBase64String(reader.ReadString()!);
        }
        catch (FormatException)
        {
            throw new ZeroBridgeProtocolException($"auth.prove's {name} is not base64 text.");
        }
    }

    /// <summary>The reply payload of <c>auth.hello</c>: <c>{"challenge": bin}</c>.</summary>
    public static byte[] HelloReply(byte[] challenge) => Map((ref MessagePackWriter writer) =>
    {
        writer.WriteMapHeader(1);
        writer.Write("challenge");
        writer.Write(challenge);
    });

    /// <summary>The challenge of an <c>auth.hello</c> reply payload.</summary>
    /// <exception cref="ZeroBridgeProtocolException">The payload is not <c>{"challenge": bin}</c>.</exception>
    public static byte[] ReadHelloReply(ReadOnlyMemory<byte> payload)
    {
        try
        {
            var reader = HeaderMaps.OpenMap(payload, "The auth.hello reply");
            int count = reader.ReadMapHeader();
            for (int i = 0; i < count; i++)
            {
                string? key = HeaderMaps.NextKey(ref reader);
                if (key is null)
                    continue; // the entry is skipped already
                if (key == "challenge" && reader.NextMessagePackType == MessagePackType.Binary)
                    return reader.ReadBytes()!.Value.ToArray();
                reader.Skip();
            }
        }
        catch (Exception ex) when (HeaderMaps.IsDecodeError(ex))
        {
            throw new ZeroBridgeProtocolException($"The auth.hello reply is not valid msgpack: {ex.Message}", ex);
        }
        throw new ZeroBridgeProtocolException("The auth.hello reply has no binary 'challenge'.");
    }

    /// <summary>
    /// The identity map <c>{"key": str, "name": str|nil}</c>: the reply payload of a successful <c>auth.prove</c>, and
    /// the caller frame a broker stamps on a forwarded request.
    /// </summary>
    public static byte[] IdentityMap(string key, string? name) => Map((ref MessagePackWriter writer) =>
    {
        writer.WriteMapHeader(2);
        writer.Write("key");
        writer.Write(key);
        writer.Write("name");
        writer.Write(name);
    });

    /// <summary>Reads an identity map: the key (Z85) and the name.</summary>
    /// <exception cref="ZeroBridgeProtocolException">The frame is not a map with a string <c>key</c>.</exception>
    public static (string Key, string? Name) ReadIdentityMap(ReadOnlyMemory<byte> frame)
    {
        string? key = null, name = null;
        try
        {
            var reader = HeaderMaps.OpenMap(frame, "The caller frame");
            int count = reader.ReadMapHeader();
            for (int i = 0; i < count; i++)
            {
                switch (HeaderMaps.NextKey(ref reader))
                {
                    case null:
                        continue;
                    case "key" when reader.NextMessagePackType == MessagePackType.String:
                        key = reader.ReadString();
                        break;
                    case "name" when reader.NextMessagePackType == MessagePackType.String:
                        name = reader.ReadString();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (Exception ex) when (HeaderMaps.IsDecodeError(ex))
        {
            throw new ZeroBridgeProtocolException($"The caller frame is not valid msgpack: {ex.Message}", ex);
        }
        return (key ?? throw new ZeroBridgeProtocolException("The caller frame has no string 'key'."), name);
    }

    private delegate void Writing(ref MessagePackWriter writer);

    private static byte[] Map(Writing write)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
