using System.Buffers;
using System.Text;
using MessagePack;
using ZeroBridge.Protocol;

namespace ZeroBridge.Streams;

/// <summary>
/// The frames of the stream protocol (docs/protocol.md §11): building and parsing, no sockets.
/// </summary>
/// <remarks>
/// A stream message is <c>topic | header | value | attachments…</c>. The topic frame comes first so that ZeroMQ's
/// prefix matching on SUB sockets selects on it; the header is a small msgpack map; the value is any value of §4.
/// </remarks>
public static class StreamWire
{
    /// <summary>The topic heartbeats travel on. Subscribers subscribe to it besides their own prefixes.</summary>
    public const string HeartbeatTopic = "\u0000hb";

    /// <summary>The topic of the message that closes a snapshot reply.</summary>
    public const string EndTopic = "\u0000end";

    /// <summary>The signature frame of a snapshot request.</summary>
    public const string SnapshotSignature = "ZBSNAP01";

    internal static readonly byte[] HeartbeatTopicBytes = Encoding.UTF8.GetBytes(HeartbeatTopic);
    internal static readonly byte[] EndTopicBytes = Encoding.UTF8.GetBytes(EndTopic);
    internal static readonly byte[] SnapshotSignatureBytes = Encoding.ASCII.GetBytes(SnapshotSignature);

    /// <summary>Kinds of stream message (header key <c>kind</c>).</summary>
    public static class Kinds
    {
        /// <summary>A published value.</summary>
        public const string Data = "data";
        /// <summary>Many published values in one message, numbered from its <c>seq</c> on (docs/protocol.md §11.7).</summary>
        public const string Batch = "batch";
        /// <summary>A heartbeat: the publisher is alive.</summary>
        public const string Heartbeat = "hb";
        /// <summary>A last value, in a snapshot reply.</summary>
        public const string Snapshot = "snap";
        /// <summary>The end of a snapshot reply.</summary>
        public const string End = "end";
    }

    /// <summary>Microseconds since 1970-01-01 UTC, the unit of <c>ts</c> and <c>epoch</c>.</summary>
    public static long UnixMicroseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <summary>The instant of a <c>ts</c> value.</summary>
    public static DateTimeOffset FromUnixMicroseconds(long microseconds) => DateTimeOffset.UnixEpoch.AddTicks(microseconds * 10);

    /// <summary>Encodes a header map.</summary>
    public static byte[] EncodeHeader(StreamHeader header)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        var writer = new MessagePackWriter(buffer);
        int count = 6 + (header.Sequence is null ? 0 : 1) + (header.Count is null ? 0 : 1) + (header.RequestId is null ? 0 : 1)
            + (header.KeyGeneration is null ? 0 : 1);
        writer.WriteMapHeader(count);
        writer.Write("v");
        writer.Write(1);
        writer.Write("kind");
        writer.Write(header.Kind);
        writer.Write("pub");
        writer.Write(header.Publisher);
        writer.Write("epoch");
        writer.Write(header.Epoch);
        writer.Write("ts");
        writer.Write(header.Timestamp);
        writer.Write("hbi");
        writer.Write(header.HeartbeatMilliseconds);
        if (header.Sequence is { } seq)
        {
            writer.Write("seq");
            writer.Write(seq);
        }
        if (header.Count is { } n)
        {
            writer.Write("count");
            writer.Write(n);
        }
        if (header.RequestId is { } id)
        {
            writer.Write("id");
            writer.Write(id);
        }
        if (header.KeyGeneration is { } kid)
        {
            writer.Write("kid");
            writer.Write(kid);
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a header map; throws <see cref="ZeroBridgeProtocolException"/> naming what is wrong.</summary>
    public static StreamHeader DecodeHeader(ReadOnlyMemory<byte> frame)
    {
        string? kind = null, publisher = null, requestId = null;
        long? version = null, epoch = null, ts = null, seq = null, count = null, kid = null;
        int hbi = 0;
        try
        {
            var reader = HeaderMaps.OpenMap(frame, "A stream header");
            int entries = reader.ReadMapHeader();
            for (int i = 0; i < entries; i++)
            {
                if (HeaderMaps.NextKey(ref reader) is not { } key)
                    continue;
                var type = reader.NextMessagePackType;
                switch (key)
                {
                    case "v" when type == MessagePackType.Integer: version = reader.ReadInt64(); break;
                    case "kind" when type == MessagePackType.String: kind = reader.ReadString(); break;
                    case "pub" when type == MessagePackType.String: publisher = reader.ReadString(); break;
                    case "epoch" when type == MessagePackType.Integer: epoch = reader.ReadInt64(); break;
                    case "ts" when type == MessagePackType.Integer: ts = reader.ReadInt64(); break;
                    case "hbi" when type == MessagePackType.Integer: hbi = reader.ReadInt32(); break;
                    case "seq" when type == MessagePackType.Integer: seq = reader.ReadInt64(); break;
                    case "count" when type == MessagePackType.Integer: count = reader.ReadInt64(); break;
                    case "id" when type == MessagePackType.String: requestId = reader.ReadString(); break;
                    case "kid" when type == MessagePackType.Integer: kid = reader.ReadInt64(); break;
                    default: reader.Skip(); break;
                }
            }
        }
        catch (Exception ex) when (HeaderMaps.IsDecodeError(ex))
        {
            throw new ZeroBridgeProtocolException($"Undecodable stream header: {ex.Message}", ex);
        }
        if (version != 1)
            throw new ZeroBridgeProtocolException($"A stream header has version {version?.ToString() ?? "none"}; expected 1.");
        if (kind is null || publisher is null || epoch is null || ts is null)
            throw new ZeroBridgeProtocolException("A stream header needs kind, pub, epoch and ts.");
        if (kind is Kinds.Data or Kinds.Snapshot or Kinds.Batch && seq is null)
            throw new ZeroBridgeProtocolException($"A '{kind}' stream header needs seq.");
        if (kind is Kinds.Batch && count is not > 0)
            throw new ZeroBridgeProtocolException("A 'batch' stream header needs a positive count.");
        return new StreamHeader(kind, publisher, epoch.Value, ts.Value, hbi, seq, count, requestId, kid);
    }
}

/// <summary>The decoded header of a stream message (docs/protocol.md §11.2).</summary>
/// <param name="Kind">One of <see cref="StreamWire.Kinds"/>.</param>
/// <param name="Publisher">The publisher's name, stable across its restarts.</param>
/// <param name="Epoch">When this run of the publisher started (µs since 1970 UTC); a new value means a restart.</param>
/// <param name="Timestamp">When the message was published (µs since 1970 UTC).</param>
/// <param name="HeartbeatMilliseconds">The publisher's heartbeat interval.</param>
/// <param name="Sequence">The per-topic sequence number (data and snapshot messages), from 1.</param>
/// <param name="Count">The number of entries (end of a snapshot) or of values (a batch).</param>
/// <param name="RequestId">The snapshot request's id, echoed in its replies.</param>
/// <param name="KeyGeneration">With an encrypted payload (§11.6), the generation of the topic key that sealed it; else null.</param>
public sealed record StreamHeader(string Kind, string Publisher, long Epoch, long Timestamp, int HeartbeatMilliseconds,
    long? Sequence = null, long? Count = null, string? RequestId = null, long? KeyGeneration = null);
