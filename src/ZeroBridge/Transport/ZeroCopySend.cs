using NetMQ;

namespace ZeroBridge.Transport;

/// <summary>
/// Sends a multipart message whose frames hand their arrays to the socket instead of being copied.
/// </summary>
/// <remarks>
/// NetMQ's <c>SendMultipartMessage</c> copies every frame into a freshly allocated buffer before queueing it: for a
/// reply carrying a table that is tens of megabytes copied on the socket thread, into memory the kernel must zero
/// first (measured: 10–25 ms for a 33 MB reply). A <see cref="Msg"/> initialised with <c>InitGC</c> refers to the
/// array itself. That is safe only for arrays nobody writes to after the send: the messages passed here are built
/// for the send (or received and forwarded) and never touched again.
/// </remarks>
internal static class ZeroCopySend
{
    /// <summary>
    /// Sends <paramref name="message"/> if its first frame can be queued within <paramref name="timeout"/>; the
    /// other frames then always follow (a multipart message is queued whole once its first frame is).
    /// </summary>
    /// <returns>False when the first frame could not be queued (the peer's queue is full); nothing was sent.</returns>
    public static bool TrySendWithoutCopy(this IOutgoingSocket socket, NetMQMessage message, TimeSpan timeout)
    {
        if (message.FrameCount == 0)
            throw new ArgumentException("A message needs at least one frame.", nameof(message));
        for (int i = 0; i < message.FrameCount; i++)
        {
            var frame = message[i];
            var msg = new Msg();
            msg.InitGC(frame.Buffer, frame.MessageSize);
            bool more = i < message.FrameCount - 1;
            try
            {
                if (!socket.TrySend(ref msg, i == 0 ? timeout : SendReceiveConstants.InfiniteTimeout, more))
                    return false;
            }
            finally
            {
                msg.Close();
            }
        }
        return true;
    }

    /// <summary>Sends <paramref name="message"/>, waiting as long as its first frame needs.</summary>
    public static void SendWithoutCopy(this IOutgoingSocket socket, NetMQMessage message) =>
        socket.TrySendWithoutCopy(message, SendReceiveConstants.InfiniteTimeout);
}
