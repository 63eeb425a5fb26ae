using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ZeroBridge.Transport;

/// <summary>
/// The kernel's counters for one TCP connection (Linux <c>TCP_INFO</c>), read while NetMQ owns the connection: how
/// many bytes the peer has sent, how many of ours it has acknowledged, and whether ours are held back for it.
/// </summary>
/// <param name="BytesReceived">Bytes received from the peer (<c>tcpi_bytes_received</c>).</param>
/// <param name="BytesAcknowledged">Bytes of ours the peer's TCP stack has acknowledged (<c>tcpi_bytes_acked</c>).</param>
/// <param name="BytesWaiting">
/// Whether bytes of ours are held back, not yet sent (<c>tcpi_notsent_bytes</c>): the peer's receive window, or the
/// network, lets no more through. Bytes merely in flight do not count, so a peer sent a trickle over a long round
/// trip, always with a little unacknowledged, is not taken for one that does not read.
/// </param>
internal readonly record struct TcpConnectionInfo(long BytesReceived, long BytesAcknowledged, bool BytesWaiting)
{
    // struct tcp_info (linux/tcp.h), in the machine's byte order. Fixed offsets: the kernel only ever appends fields, and
    // reports how many bytes it filled, so an older kernel is recognised by a shorter answer.
    private const int TcpLevel = 6, TcpInfoOption = 11;
    private const int BytesAckedOffset = 120, BytesReceivedOffset = 128, NotSentOffset = 144;
    private const int NeededLength = NotSentOffset + 4; // Linux 4.6 and later
    private const int BufferLength = 256;

    private static readonly Lazy<bool> Counts = new(ProbeLoopback);

    /// <summary>
    /// Whether this system's counters can be trusted: checked once, on a loopback connection that sends a known number
    /// of bytes. Kernels before Linux 4.6, other systems, and sandboxes whose network stack answers <c>TCP_INFO</c>
    /// without filling these fields (gVisor's) fail it.
    /// </summary>
    public static bool IsReliable => Counts.Value;

    /// <summary>Reads <paramref name="socket"/>'s counters; false when the connection is gone (closed meanwhile).</summary>
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
            return false; // not on a system IsReliable accepts
        info = new TcpConnectionInfo(
            (long)Math.Min(MemoryMarshal.Read<ulong>(buffer[BytesReceivedOffset..]), long.MaxValue),
            (long)Math.Min(MemoryMarshal.Read<ulong>(buffer[BytesAckedOffset..]), long.MaxValue),
            MemoryMarshal.Read<uint>(buffer[NotSentOffset..]) > 0);
        return true;
    }

    private static bool ProbeLoopback()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        const int sent = 1000;
        try
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(listener.LocalEndPoint!);
            using var accepted = listener.Accept();
            client.Send(new byte[sent]);
            accepted.ReceiveTimeout = client.ReceiveTimeout = 5000;
            var received = new byte[sent];
            for (int got = 0, read; got < sent; got += read)
            {
                if ((read = accepted.Receive(received, got, sent - got, SocketFlags.None)) == 0)
                    return false;
            }
            // The answer carries the acknowledgement of what the client sent, so once the client has read it, its
            // kernel has counted those bytes as acknowledged: both ends must then tell the same story.
            accepted.Send(new byte[1]);
            if (client.Receive(received, 0, 1, SocketFlags.None) != 1)
                return false;
            return TryRead(accepted, out var receiving) && receiving.BytesReceived == sent
                && TryRead(client, out var sending) && sending.BytesAcknowledged >= sent && sending.BytesReceived == 1;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }
}
