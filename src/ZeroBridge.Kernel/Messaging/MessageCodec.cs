using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetMQ;

namespace ZeroBridge.Kernel.Messaging;

/// <summary>
/// The Jupyter wire format: identities, the <c>&lt;IDS|MSG&gt;</c> delimiter, the HMAC signature, header, parent
/// header, metadata, content, then buffers. Decoding checks the signature before it parses anything.
/// </summary>
public sealed class MessageCodec(MessageSigner signer)
{
    private static readonly byte[] Delimiter = "<IDS|MSG>"u8.ToArray();

    /// <summary>Turns frames received on a socket into a message.</summary>
    /// <exception cref="InvalidMessageException">No delimiter, too few frames, a wrong signature or parts that are not JSON objects.</exception>
    public JupyterMessage Decode(NetMQMessage frames)
    {
        int delimiter = -1;
        for (int i = 0; i < frames.FrameCount; i++)
        {
            if (frames[i].Buffer.AsSpan().SequenceEqual(Delimiter))
            {
                delimiter = i;
                break;
            }
        }
        if (delimiter < 0)
            throw new InvalidMessageException("no <IDS|MSG> delimiter");
        if (frames.FrameCount < delimiter + 6)
            throw new InvalidMessageException($"{frames.FrameCount - delimiter - 1} frames after the delimiter; a message has at least 5");
        byte[] Part(int offset) => frames[delimiter + offset].ToByteArray();
        byte[] signature = Part(1), header = Part(2), parent = Part(3), metadata = Part(4), content = Part(5);
        if (!signer.Verify(signature, header, parent, metadata, content))
            throw new InvalidMessageException("wrong signature");
        var identities = new List<byte[]>(delimiter);
        for (int i = 0; i < delimiter; i++)
            identities.Add(frames[i].ToByteArray());
        var buffers = new List<byte[]>();
        for (int i = delimiter + 6; i < frames.FrameCount; i++)
            buffers.Add(frames[i].ToByteArray());
        var decoded = new JupyterMessage
        {
            Identities = identities,
            Header = ParseObject(header, "header"),
            ParentHeader = ParseObject(parent, "parent_header"),
            Metadata = ParseObject(metadata, "metadata"),
            Content = ParseObject(content, "content"),
            Buffers = buffers,
        };
        if (decoded.MessageType.Length == 0 || decoded.MessageId.Length == 0)
            throw new InvalidMessageException("the header has no msg_type or msg_id");
        return decoded;
    }

    /// <summary>Turns a message into the frames to send (signed).</summary>
    public NetMQMessage Encode(JupyterMessage message)
    {
        byte[] header = Serialize(message.Header), parent = Serialize(message.ParentHeader),
            metadata = Serialize(message.Metadata), content = Serialize(message.Content);
        var frames = new NetMQMessage(message.Identities.Count + 6 + message.Buffers.Count);
        foreach (var identity in message.Identities)
            frames.Append(identity);
        frames.Append(Delimiter);
        frames.Append(Encoding.ASCII.GetBytes(signer.Sign(header, parent, metadata, content)));
        frames.Append(header);
        frames.Append(parent);
        frames.Append(metadata);
        frames.Append(content);
        foreach (var buffer in message.Buffers)
            frames.Append(buffer);
        return frames;
    }

    private static byte[] Serialize(JsonObject value) => JsonSerializer.SerializeToUtf8Bytes(value);

    private static JsonObject ParseObject(byte[] utf8, string part)
    {
        try
        {
            return JsonNode.Parse(utf8) as JsonObject ?? throw new InvalidMessageException($"the {part} is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new InvalidMessageException($"the {part} is not JSON: {ex.Message}");
        }
    }
}

/// <summary>A received message was not a valid, correctly signed Jupyter message; it is dropped and logged.</summary>
public sealed class InvalidMessageException(string message) : Exception(message);
