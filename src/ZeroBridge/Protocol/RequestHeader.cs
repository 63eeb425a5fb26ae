using System.Buffers;
using MessagePack;

namespace ZeroBridge.Protocol;

/// <summary>The decoded header frame of a bridge-protocol request (docs/protocol.md §2).</summary>
/// <param name="RawId">The request id exactly as the client encoded it, echoed byte for byte in the reply.</param>
/// <param name="Command">The command name, or null for a cancel notification.</param>
/// <param name="Timeout">The client's deadline, if it sent one.</param>
/// <param name="IsCancel">Whether this is a cancel notification for <paramref name="RawId"/>.</param>
public sealed record RequestHeader(ReadOnlyMemory<byte> RawId, string? Command, TimeSpan? Timeout, bool IsCancel)
{
    /// <summary>The optional encodings the client reads (header key <c>accept</c>), e.g. <c>"dict"</c> (§10.4).</summary>
    public IReadOnlyList<string> Accept { get; init; } = [];

    /// <summary>
    /// The caller's W3C trace context (header key <c>traceparent</c>, e.g. <c>00-&lt;trace id&gt;-&lt;span id&gt;-01</c>), so the
    /// command's activity continues the caller's trace (docs/protocol.md §2). Null when absent or malformed.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>The caller's W3C <c>tracestate</c>, passed along with <see cref="TraceParent"/>.</summary>
    public string? TraceState { get; init; }

    /// <summary>The msgpack encoding of nil, used as the id of replies to requests whose id could not be read.</summary>
    public static ReadOnlyMemory<byte> NilId { get; } = new byte[] { MessagePackCode.Nil };

    /// <summary>
    /// Whether <paramref name="frame"/> opens with a msgpack map, as every header does. A broker forwards the bodies of
    /// any MDP client, most of them not bridge requests: it asks this first, so a foreign body costs no exception.
    /// </summary>
    public static bool OpensWithMap(ReadOnlySpan<byte> frame) =>
        frame.Length > 0 && frame[0] is >= MessagePackCode.MinFixMap and <= MessagePackCode.MaxFixMap or MessagePackCode.Map16 or MessagePackCode.Map32;

    /// <summary>
    /// Decodes a header frame. Throws <see cref="ZeroBridgeProtocolException"/> naming what is wrong;
    /// <paramref name="rawIdIfAny"/> still receives the id when it could be read, so the error reply can carry it.
    /// </summary>
    public static RequestHeader Parse(ReadOnlyMemory<byte> frame, out ReadOnlyMemory<byte> rawIdIfAny)
    {
        rawIdIfAny = NilId;
        ReadOnlyMemory<byte>? rawId = null;
        string? command = null;
        TimeSpan? timeout = null;
        bool cancel = false;
        long? version = null;
        List<string>? accept = null;
        string? traceParent = null, traceState = null;
        try
        {
            var reader = HeaderMaps.OpenMap(frame, "The header frame");
            int count = reader.ReadMapHeader();
            for (int i = 0; i < count; i++)
            {
                if (HeaderMaps.NextKey(ref reader) is not { } key)
                    continue;
                switch (key)
                {
                    case WireConstants.Header.Version:
                        version = reader.NextMessagePackType == MessagePackType.Integer ? reader.ReadInt64() : SkipAndReturn(ref reader, -1L);
                        break;
                    case WireConstants.Header.Id:
                        var type = reader.NextMessagePackType;
                        var raw = HeaderMaps.ReadRaw(ref reader, frame);
                        if (type is MessagePackType.Integer or MessagePackType.String)
                        {
                            rawId = raw;
                            rawIdIfAny = raw;
                        }
                        break;
                    case WireConstants.Header.Command:
                        command = reader.NextMessagePackType == MessagePackType.String ? reader.ReadString() : SkipAndReturn<string?>(ref reader, null);
                        break;
                    case WireConstants.Header.TraceParent:
                        traceParent = ReadTraceField(ref reader);
                        break;
                    case WireConstants.Header.TraceState:
                        traceState = ReadTraceField(ref reader);
                        break;
                    case WireConstants.Header.Timeout:
                        timeout = ReadTimeout(ref reader);
                        break;
                    case WireConstants.Header.Cancel:
                        cancel = reader.NextMessagePackType == MessagePackType.Boolean ? reader.ReadBoolean() : SkipAndReturn(ref reader, false);
                        break;
                    case WireConstants.Header.Accept:
                        if (reader.NextMessagePackType != MessagePackType.Array)
                        {
                            reader.Skip();
                            break;
                        }
                        int features = reader.ReadArrayHeader();
                        accept = new List<string>(Math.Min(features, 16));
                        for (int f = 0; f < features; f++)
                        {
                            if (reader.NextMessagePackType == MessagePackType.String && accept.Count < 16)
                                accept.Add(reader.ReadString()!);
                            else
                                reader.Skip();
                        }
                        break;
                    default:
                        reader.Skip(); // Unknown keys are ignored, so the header can grow without a version bump.
                        break;
                }
            }
        }
        catch (Exception ex) when (HeaderMaps.IsDecodeError(ex))
        {
            throw new ZeroBridgeProtocolException($"The header frame is not valid msgpack: {ex.Message}", ex);
        }

        if (version != WireConstants.Version)
            throw new ZeroBridgeProtocolException(version is null
                ? "The header has no protocol version 'v'."
                : $"Protocol version {version} is not supported; this server speaks version {WireConstants.Version}.");
        if (rawId is null)
            throw new ZeroBridgeProtocolException("The header has no request 'id' (an int or a str).");
        if (!cancel && string.IsNullOrEmpty(command))
            throw new ZeroBridgeProtocolException("The header has no command name 'cmd'.");
        return new RequestHeader(rawId.Value, command, timeout, cancel)
        {
            Accept = accept ?? (IReadOnlyList<string>)[],
            TraceParent = traceParent,
            TraceState = traceState,
        };
    }

    /// <summary>The longest trace-context value kept (W3C allows 55 characters for traceparent, 512 for tracestate).</summary>
    private const int MaxTraceFieldLength = 512;

    /// <summary>A trace-context string, or null for anything else (a wrong type or an oversized value is ignored, not an error).</summary>
    private static string? ReadTraceField(ref MessagePackReader reader)
    {
        if (reader.NextMessagePackType != MessagePackType.String)
        {
            reader.Skip();
            return null;
        }
        string? value = reader.ReadString();
        return value is { Length: <= MaxTraceFieldLength } ? value : null;
    }

    /// <summary>
    /// Writes the header of a call: <c>{"v", "id", "cmd", "timeout" (ms), "accept", "traceparent", "tracestate"}</c>
    /// (docs/protocol.md §2); the optional keys only when they have a value.
    /// </summary>
    public static byte[] WriteCall(long id, string command, TimeSpan timeout, IReadOnlyList<string> accept,
        string? traceParent = null, string? traceState = null)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(4 + (accept.Count > 0 ? 1 : 0) + (traceParent is null ? 0 : 1) + (traceState is null || traceParent is null ? 0 : 1));
        WriteVersionAndId(ref writer, id);
        writer.Write(WireConstants.Header.Command);
        writer.Write(command);
        writer.Write(WireConstants.Header.Timeout);
        writer.Write((long)timeout.TotalMilliseconds);
        if (accept.Count > 0)
        {
            writer.Write(WireConstants.Header.Accept);
            writer.WriteArrayHeader(accept.Count);
            foreach (var feature in accept)
                writer.Write(feature);
        }
        if (traceParent is not null)
        {
            writer.Write(WireConstants.Header.TraceParent);
            writer.Write(traceParent);
            if (traceState is not null)
            {
                writer.Write(WireConstants.Header.TraceState);
                writer.Write(traceState);
            }
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the header of a cancel notification for the call <paramref name="id"/>: <c>{"v", "id", "cancel": true}</c>.</summary>
    public static byte[] WriteCancel(long id)
    {
        var buffer = new ArrayBufferWriter<byte>(32);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(3);
        WriteVersionAndId(ref writer, id);
        writer.Write(WireConstants.Header.Cancel);
        writer.Write(true);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteVersionAndId(ref MessagePackWriter writer, long id)
    {
        writer.Write(WireConstants.Header.Version);
        writer.Write(WireConstants.Version);
        writer.Write(WireConstants.Header.Id);
        writer.Write(id);
    }

    /// <summary>
    /// The <c>timeout</c> value: milliseconds as an int or a float; negative means already expired. A value that is
    /// not a number, or beyond what <see cref="TimeSpan"/> holds, is a bad request rather than something to guess at.
    /// </summary>
    private static TimeSpan? ReadTimeout(ref MessagePackReader reader)
    {
        double milliseconds;
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Integer:
                // A uint64 beyond long.MaxValue is still a number, just too large: let the range check say so.
                milliseconds = reader.NextCode == MessagePackCode.UInt64 ? reader.ReadUInt64() : reader.ReadInt64();
                break;
            case MessagePackType.Float:
                milliseconds = reader.ReadDouble();
                break;
            default:
                reader.Skip();
                return null;
        }
        if (double.IsNaN(milliseconds) || milliseconds > MaxTimeoutMilliseconds)
            throw new ZeroBridgeProtocolException(
                $"The header's 'timeout' must be a number of milliseconds up to {MaxTimeoutMilliseconds:0}; got {milliseconds}.");
        return TimeSpan.FromMilliseconds(Math.Max(0, milliseconds));
    }

    /// <summary>
    /// The largest deadline a client can ask for: the longest a .NET timer (and so a <see cref="CancellationTokenSource"/>)
    /// can wait, about 49.7 days.
    /// </summary>
    private const double MaxTimeoutMilliseconds = uint.MaxValue - 1.0;

    private static T SkipAndReturn<T>(ref MessagePackReader reader, T value)
    {
        reader.Skip();
        return value;
    }
}
