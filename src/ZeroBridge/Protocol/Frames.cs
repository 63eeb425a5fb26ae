using System.Runtime.InteropServices;
using NetMQ;

namespace ZeroBridge.Protocol;

/// <summary>Turning the byte buffers of a message body into frames.</summary>
public static class Frames
{
    /// <summary>A frame over the buffer's own array when it starts one (column buffers do): no copy.</summary>
    public static NetMQFrame Of(ReadOnlyMemory<byte> buffer) =>
        MemoryMarshal.TryGetArray(buffer, out var segment) && segment.Offset == 0
            ? new NetMQFrame(segment.Array!, segment.Count)
            : new NetMQFrame(buffer.ToArray());
}
