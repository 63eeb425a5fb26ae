using System.Net.Sockets;
using System.Reflection;
using AsyncIO;

namespace ZeroBridge.Transport;

/// <summary>
/// Reaches the .NET socket behind a connection NetMQ accepted, and aborts it without taking it from NetMQ.
/// </summary>
/// <remarks>
/// NetMQ never hands out that socket: its monitor gives AsyncIO's wrapper, whose .NET implementation (the one used on
/// Linux) keeps the <see cref="Socket"/> in a private field. AsyncIO 0.1.69 is pinned through NetMQ 4.0.4.5; if a
/// later version renames the field, <see cref="IsReachable"/> turns false and the connection limits are off, never
/// wrong.
/// </remarks>
internal static class AcceptedSockets
{
    private static readonly Type? NativeSocket = typeof(AsyncSocket).Assembly.GetType("AsyncIO.DotNet.NativeSocket");

    private static readonly FieldInfo? SocketField =
        NativeSocket?.GetField("m_socket", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>Whether accepted connections' sockets can be reached here.</summary>
    public static bool IsReachable { get; } = SocketField?.FieldType == typeof(Socket);

    /// <summary>The .NET socket behind <paramref name="connection"/>, or null when it cannot be reached.</summary>
    public static Socket? SocketOf(AsyncSocket connection) =>
        IsReachable && connection.GetType() == NativeSocket ? SocketField!.GetValue(connection) as Socket : null;

    /// <summary>
    /// Aborts the connection without closing <paramref name="socket"/>: it is shut down in both directions, so NetMQ's
    /// I/O thread, which owns it, sees the connection end as if the peer had reset it, and closes it and drops its
    /// queue on its own path; and its linger is zeroed first, so that close resets the connection and the kernel
    /// drops the bytes still waiting for the peer at once, instead of keeping them for a peer that does not read.
    /// </summary>
    /// <remarks>Never dispose the socket here: NetMQ's writes catch only <see cref="SocketException"/>.</remarks>
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
