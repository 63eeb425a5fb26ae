using System.Buffers;
using MessagePack;
using ZeroBridge.Protocol;

namespace ZeroBridge.Streams;

/// <summary>
/// The topic-key exchange on the snapshot endpoint (docs/protocol.md §11.6): a subscriber asks for the keys of
/// encrypted topics, the publisher answers with the keys its <see cref="ITopicKeyPolicy"/> lets that peer have.
/// </summary>
/// <remarks>
/// Request <c>["", "ZBKEYS01", {"v": 1, "topics": [str, …], "id": str}]</c>; reply
/// <c>["", "ZBKEYS01", {"v": 1, "id": str, "keys": {topic: [generation, bin 32]}, "denied": [str, …]}]</c>.
/// </remarks>
public static class TopicKeyMessages
{
    /// <summary>The signature frame of a key request and its reply.</summary>
    public const string Signature = "ZBKEYS01";

    /// <summary>How many topics one request may name.</summary>
    public const int MaxTopics = 256;

    internal static readonly byte[] SignatureBytes = System.Text.Encoding.ASCII.GetBytes(Signature);

    /// <summary>Encodes a request for the keys of <paramref name="topics"/>.</summary>
    public static byte[] EncodeRequest(IReadOnlyCollection<string> topics, string id)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(3);
        writer.Write("v");
        writer.Write(1);
        writer.Write("topics");
        writer.WriteArrayHeader(topics.Count);
        foreach (var topic in topics)
            writer.Write(topic);
        writer.Write("id");
        writer.Write(id);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a request; throws <see cref="ZeroBridgeProtocolException"/> naming what is wrong.</summary>
    public static (IReadOnlyList<string> Topics, string? Id) ParseRequest(ReadOnlyMemory<byte> frame)
    {
        long? version = null;
        List<string>? topics = null;
        string? id = null;
        try
        {
            var reader = HeaderMaps.OpenMap(frame, "A topic-key request");
            int entries = reader.ReadMapHeader();
            for (int i = 0; i < entries; i++)
            {
                if (HeaderMaps.NextKey(ref reader) is not { } key)
                    continue;
                var type = reader.NextMessagePackType;
                switch (key)
                {
                    case "v" when type == MessagePackType.Integer && reader.NextCode != MessagePackCode.UInt64:
                        version = reader.ReadInt64();
                        break;
                    case "topics" when type == MessagePackType.Array:
                        topics = HeaderMaps.ReadStringArray(ref reader, MaxTopics, "A topic-key request", "topics");
                        break;
                    case "id" when type == MessagePackType.String:
                        id = reader.ReadString();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (Exception ex) when (HeaderMaps.IsDecodeError(ex))
        {
            throw new ZeroBridgeProtocolException($"Undecodable topic-key request: {ex.Message}", ex);
        }
        if (version != 1 || topics is null)
            throw new ZeroBridgeProtocolException("A topic-key request needs {\"v\": 1, \"topics\": [str, ...]}.");
        return (topics, id);
    }

    /// <summary>Encodes a reply: the keys handed out and the topics refused.</summary>
    public static byte[] EncodeReply(string? id, IReadOnlyDictionary<string, TopicKey> keys, IReadOnlyCollection<string> denied)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + 48 * keys.Count);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(4);
        writer.Write("v");
        writer.Write(1);
        writer.Write("id");
        if (id is null)
            writer.WriteNil();
        else
            writer.Write(id);
        writer.Write("keys");
        writer.WriteMapHeader(keys.Count);
        foreach (var (topic, key) in keys)
        {
            writer.Write(topic);
            writer.WriteArrayHeader(2);
            writer.Write(key.Generation);
            writer.Write(key.Key);
        }
        writer.Write("denied");
        writer.WriteArrayHeader(denied.Count);
        foreach (var topic in denied)
            writer.Write(topic);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a reply; throws <see cref="ZeroBridgeProtocolException"/> naming what is wrong.</summary>
    public static (IReadOnlyDictionary<string, TopicKey> Keys, IReadOnlyList<string> Denied) ParseReply(ReadOnlyMemory<byte> frame)
    {
        var keys = new Dictionary<string, TopicKey>(StringComparer.Ordinal);
        var denied = new List<string>();
        try
        {
            var reader = HeaderMaps.OpenMap(frame, "A topic-key reply");
            int entries = reader.ReadMapHeader();
            for (int i = 0; i < entries; i++)
            {
                switch (HeaderMaps.NextKey(ref reader))
                {
                    case "keys":
                        int count = reader.ReadMapHeader();
                        for (int k = 0; k < count; k++)
                        {
                            string topic = reader.ReadString() ?? throw new ZeroBridgeProtocolException("A topic key without a topic.");
                            if (reader.ReadArrayHeader() != 2)
                                throw new ZeroBridgeProtocolException("A topic key is [generation, key].");
                            long generation = reader.ReadInt64();
                            byte[] key = reader.ReadBytes()?.ToArray() ?? [];
                            if (key.Length != PayloadSeal.KeyBytes)
                                throw new ZeroBridgeProtocolException($"A topic key has {key.Length} bytes; expected {PayloadSeal.KeyBytes}.");
                            keys[topic] = new TopicKey(generation, key);
                        }
                        break;
                    case "denied":
                        int refused = reader.ReadArrayHeader();
                        for (int d = 0; d < refused; d++)
                            denied.Add(reader.ReadString() ?? "");
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (Exception ex) when (HeaderMaps.IsDecodeError(ex))
        {
            throw new ZeroBridgeProtocolException($"Undecodable topic-key reply: {ex.Message}", ex);
        }
        return (keys, denied);
    }
}

/// <summary>A topic's payload key and its generation (the header's <c>kid</c>; a new generation after a rotation).</summary>
/// <param name="Generation">The key's generation, from 1.</param>
/// <param name="Key">The 32-byte secretbox key.</param>
public sealed record TopicKey(long Generation, byte[] Key);
