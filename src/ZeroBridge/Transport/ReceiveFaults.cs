using Microsoft.Extensions.Logging;

namespace ZeroBridge.Transport;

/// <summary>
/// What a component's receive path does with an exception that handling one message threw: the message is dropped,
/// the fault counted and logged, and the socket loop goes on to the next message. Nothing a peer sends may stop a
/// component; and a peer sending the same bad message in a loop must not flood the log either, so after one entry
/// the log waits <see cref="LogInterval"/> and then says how many more there were.
/// </summary>
internal sealed class ReceiveFaults(ILogger logger, string component)
{
    /// <summary>The least time between two log entries.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private long _count;
    private long _unlogged;
    private long _lastLog = long.MinValue;

    /// <summary>How many messages have been dropped for a fault so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Counts a fault and logs it unless one was logged less than <see cref="LogInterval"/> ago.</summary>
    public void Record(Exception fault)
    {
        Interlocked.Increment(ref _count);
        long now = Environment.TickCount64;
        long last = Interlocked.Read(ref _lastLog);
        if (last != long.MinValue && now - last < (long)LogInterval.TotalMilliseconds)
        {
            Interlocked.Increment(ref _unlogged);
            return;
        }
        if (Interlocked.CompareExchange(ref _lastLog, now, last) != last)
        {
            Interlocked.Increment(ref _unlogged);
            return;
        }
        long before = Interlocked.Exchange(ref _unlogged, 0);
        TransportLog.ReceiveFault(logger, fault, component, before);
    }
}
