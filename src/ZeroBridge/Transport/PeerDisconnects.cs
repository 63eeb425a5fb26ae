using NetMQ;

namespace ZeroBridge.Transport;

/// <summary>
/// How a ROUTER tells its component that a peer's connection has gone: ZeroMQ's disconnect message
/// (<c>ZMQ_DISCONNECT_MSG</c>), a frame the socket hands up after the peer's last message, so its requests can be
/// cancelled and its proof forgotten before a newcomer can take the same routing id.
/// </summary>
internal static class PeerDisconnects
{
    private static readonly byte[] Marker = "\0zerobridge-peer-disconnected"u8.ToArray();

    /// <summary>Makes <paramref name="router"/> hand up <c>[routing id, marker]</c> when a peer disconnects.</summary>
    public static void Report(NetMQSocket router) => router.Options.DisconnectMessage = Marker;

    /// <summary>Whether <paramref name="message"/> is that notice rather than a peer's message.</summary>
    public static bool IsNotice(NetMQMessage message) =>
        message.FrameCount == 2 && message[1].Buffer.AsSpan(0, message[1].MessageSize).SequenceEqual(Marker);
}
