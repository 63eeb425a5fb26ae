using System.Buffers;
using MessagePack;
using ZeroBridge.Protocol;

namespace ZeroBridge.Tasks;

/// <summary>Frames of the task protocol (docs/protocol.md §12): building and parsing, no sockets.</summary>
public static class TaskWire
{
    /// <summary>The first frame of every task-protocol message.</summary>
    public const string Signature = "ZBTASK01";

    internal static readonly byte[] SignatureBytes = System.Text.Encoding.ASCII.GetBytes(Signature);

    /// <summary>
    /// The type of the producer's notice to a connection that has not proved an allowed key (docs/protocol.md §12.4):
    /// it gets no task until it proves one.
    /// </summary>
    public const string Unauthenticated = "unauthenticated";

    /// <summary>Encodes a header map <c>{"v": 1, "type": type, ...fields}</c>; field values are strings, integers or booleans.</summary>
    public static byte[] Header(string type, params (string Key, object? Value)[] fields)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(2 + fields.Length);
        writer.Write("v");
        writer.Write(1);
        writer.Write("type");
        writer.Write(type);
        foreach (var (key, value) in fields)
        {
            writer.Write(key);
            switch (value)
            {
                case null: writer.WriteNil(); break;
                case string s: writer.Write(s); break;
                case bool b: writer.Write(b); break;
                case long l: writer.Write(l); break;
                case int i: writer.Write(i); break;
                case byte[] raw: writer.WriteRaw(raw); break; // an already encoded value (a task id echoed as sent)
                default: throw new ArgumentException($"Unsupported header value {value.GetType().Name}.", nameof(fields));
            }
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes a header: its type, its task id exactly as encoded (to echo it), its kind and its other integer fields.
    /// Throws <see cref="ZeroBridgeProtocolException"/> when it is not a version 1 task header.
    /// </summary>
    public static TaskHeader Parse(ReadOnlyMemory<byte> frame)
    {
        string? type = null, kind = null, name = null;
        long? version = null, attempt = null, credit = null, interval = null, batch = null;
        bool ok = false;
        ReadOnlyMemory<byte> rawId = RequestHeader.NilId;
        try
        {
            var reader = HeaderMaps.OpenMap(frame, "A task header");
            int count = reader.ReadMapHeader();
            for (int i = 0; i < count; i++)
            {
                if (HeaderMaps.NextKey(ref reader) is not { } key)
                    continue;
                var next = reader.NextMessagePackType;
                switch (key)
                {
                    case "v" when next == MessagePackType.Integer: version = reader.ReadInt64(); break;
                    case "type" when next == MessagePackType.String: type = reader.ReadString(); break;
                    case "kind" when next == MessagePackType.String: kind = reader.ReadString(); break;
                    case "attempt" when next == MessagePackType.Integer: attempt = reader.ReadInt64(); break;
                    case "credit" when next == MessagePackType.Integer: credit = reader.ReadInt64(); break;
                    case TaskBatch.Key when next == MessagePackType.Integer: batch = reader.ReadInt64(); break;
                    case "ivl" when next == MessagePackType.Integer: interval = reader.ReadInt64(); break;
                    case "name" when next == MessagePackType.String: name = reader.ReadString(); break;
                    case "ok" when next == MessagePackType.Boolean: ok = reader.ReadBoolean(); break;
                    case "id": rawId = HeaderMaps.ReadRaw(ref reader, frame); break;
                    default: reader.Skip(); break;
                }
            }
        }
        catch (Exception ex) when (HeaderMaps.IsDecodeError(ex))
        {
            throw new ZeroBridgeProtocolException($"Undecodable task header: {ex.Message}", ex);
        }
        if (version != 1 || type is null)
            throw new ZeroBridgeProtocolException("Not a version 1 task header.");
        return new TaskHeader(type, rawId, kind, attempt ?? 1) { Credit = credit, Interval = interval, Name = name, Ok = ok, Batch = batch };
    }
}

/// <summary>A decoded task-protocol header.</summary>
/// <param name="Type"><c>task</c>, <c>ready</c>, <c>hb</c>, <c>result</c> or <c>bye</c>.</param>
/// <param name="RawId">The task id as the producer encoded it, echoed byte for byte in the result.</param>
/// <param name="Kind">The task's kind (tasks only).</param>
/// <param name="Attempt">How many times the producer has sent this task, from 1.</param>
public sealed record TaskHeader(string Type, ReadOnlyMemory<byte> RawId, string? Kind, long Attempt)
{
    /// <summary>The credit a worker announces (<c>ready</c>, <c>hb</c>), or null when absent or not an integer.</summary>
    public long? Credit { get; init; }

    /// <summary>
    /// The producer's heartbeat interval in milliseconds (the producer's <c>hb</c>), or null when absent or not an
    /// integer: a worker that heard it expects the producer's next message within a few of them.
    /// </summary>
    public long? Interval { get; init; }

    /// <summary>The worker's name (<c>ready</c>, <c>hb</c>, <c>bye</c>), or null.</summary>
    public string? Name { get; init; }

    /// <summary>Whether a <c>result</c> is a value (true) or an error map (false; also when absent).</summary>
    public bool Ok { get; init; }

    /// <summary>
    /// How many items a batched <c>task</c> or its <c>result</c> holds (docs/protocol.md §12.5), or null for a single
    /// task (also when not an integer).
    /// </summary>
    public long? Batch { get; init; }

    /// <summary>The task id as an integer, or null when it is not one (producers of this library always use integers).</summary>
    public long? IntegerId
    {
        get
        {
            try
            {
                var reader = new MessagePackReader(RawId);
                return reader.NextMessagePackType == MessagePackType.Integer ? reader.ReadInt64() : null;
            }
            catch (Exception ex) when (HeaderMaps.IsDecodeError(ex))
            {
                return null;
            }
        }
    }
}
