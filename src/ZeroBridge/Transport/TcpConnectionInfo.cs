using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using AsyncIO;

namespace ZeroBridge.Transport;

/// <summary>
/// The kernel's counters for one accepted TCP connection (Linux <c>TCP_INFO</c>), read while NetMQ owns the
/// connection: how many bytes the peer has sent, how many of ours it has acknowledged, and how many wait to go out.
/// </summary>
/// <param name="BytesReceived">Bytes received from the peer (<c>tcpi_bytes_received</c>).</param>
/// <param name="BytesAcknowledged">Bytes of ours the peer's TCP stack has acknowledged (<c>tcpi_bytes_acked</c>).</param>
/// <param name="BytesWaiting">
/// Whether bytes of ours wait for the peer: sent and not yet acknowledged (<c>tcpi_unacked</c> segments), or not yet
/// sent because the peer's window is full (<c>tcpi_notsent_bytes</c>).
/// </param>
internal readonly record struct TcpConnectionInfo(long BytesReceived, long BytesAcknowledged, bool BytesWaiting)
{
    // struct tcp_info (linux/tcp.h), in the machine's byte order. Fixed offsets: the kernel only ever appends fields, and reports how many bytes it
    // filled, so an older kernel is recognised by a shorter answer.
    private const int TcpLevel = 6, TcpInfoOption = 11;
    private const int UnackedOffset = 24, BytesAckedOffset = 120, BytesReceivedOffset = 128, NotSentOffset = 144;
    private const int NeededLength = NotSentOffset + 4; // Linux 4.6 and later
    private const int BufferLength = 256;

    // NetMQ never hands out the .NET socket behind a connection: its monitor gives AsyncIO's wrapper, whose Linux
    // implementation keeps the System.Net.Sockets.Socket in this private field. AsyncIO is pinned through NetMQ
    // 4.0.4.5; if a later version renames the field, IsSupported turns false and the limits are off, never wrong.
    private static readonly FieldInfo? SocketField =
        typeof(AsyncSocket).Assembly.GetType("AsyncIO.DotNet.NativeSocket")?.GetField("m_socket", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>Whether connections can be read and closed here: Linux, and NetMQ's sockets as this class knows them.</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && SocketField?.FieldType == typeof(Socket);

    /// <summary>The .NET socket behind a connection NetMQ accepted, or null when there is none to reach.</summary>
    public static Socket? SocketOf(AsyncSocket connection) =>
        IsSupported ? SocketField!.GetValue(connection) as Socket : null;

    /// <summary>
    /// Reads <paramref name="socket"/>'s counters; false when the connection is gone (NetMQ closed it meanwhile) or
    /// the kernel is too old to report them all.
    /// </summary>
    public static bool TryRead(Socket socket, out TcpConnectionInfo info)
    {
        info = default;
        Span<byte> buffer = stackalloc byte[BufferLength];
        int length;
        try
        {
            // The socket's SafeHandle keeps the descriptor from being closed and reused while this call runs.
            length = socket.GetRawSocketOption(TcpLevel, TcpInfoOption, buffer);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            return false;
        }
        if (length < NeededLength)
            return false;
        uint unacked = MemoryMarshal.Read<uint>(buffer[UnackedOffset..]);
        uint notSent = MemoryMarshal.Read<uint>(buffer[NotSentOffset..]);
        info = new TcpConnectionInfo(
            (long)Math.Min(MemoryMarshal.Read<ulong>(buffer[BytesReceivedOffset..]), long.MaxValue),
            (long)Math.Min(MemoryMarshal.Read<ulong>(buffer[BytesAckedOffset..]), long.MaxValue),
            unacked > 0 || notSent > 0);
        return true;
    }

    /// <summary>
    /// Aborts the connection without closing <paramref name="socket"/>: it is shut down in both directions, so NetMQ's
    /// I/O thread, which owns it, sees the connection end as if the peer had reset it, and closes it and drops its
    /// queue on its own path; and its linger is zeroed first, so that close resets the connection and the kernel
    /// drops the bytes still waiting for the peer at once, instead of keeping them for a peer that does not read.
    /// </summary>
    public static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            // already gone
        }
    }
}
