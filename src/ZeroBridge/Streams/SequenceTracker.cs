namespace ZeroBridge.Streams;

/// <summary>
/// The bookkeeping that keeps a subscriber honest (docs/protocol.md §11.4): per publisher its epoch, per topic the
/// last sequence delivered. Pure logic, no sockets; not thread-safe (one subscriber thread owns it).
/// </summary>
public sealed class SequenceTracker
{
    private readonly Dictionary<string, PublisherState> _publishers = new(StringComparer.Ordinal);

    /// <summary>What to do with a message.</summary>
    public enum Verdict
    {
        /// <summary>Deliver it.</summary>
        Deliver,
        /// <summary>Drop it: already delivered, or older than what was.</summary>
        Duplicate,
        /// <summary>Drop it: from an earlier run of a publisher that has since restarted.</summary>
        Stale,
    }

    /// <summary>
    /// Checks a heartbeat or data message's publisher epoch. Returns a restart event when the epoch is newer than
    /// the one known (the topic sequences of that publisher are forgotten), and whether the message is stale.
    /// </summary>
    public (StreamEvent? Restart, bool Stale) ObserveEpoch(string publisher, long epoch)
    {
        if (!_publishers.TryGetValue(publisher, out var state))
        {
            _publishers[publisher] = new PublisherState(epoch);
            return (null, false);
        }
        if (epoch == state.Epoch)
            return (null, false);
        if (epoch < state.Epoch)
            return (null, true);
        _publishers[publisher] = new PublisherState(epoch);
        return (new StreamEvent(StreamEventKind.Restart, null, publisher, 0,
            $"Publisher '{publisher}' restarted (epoch {state.Epoch} -> {epoch}); its sequences start again."), false);
    }

    /// <summary>
    /// Checks a data message's sequence against the last delivered for its topic. Returns the verdict and, when
    /// messages are missing before it, the gap. Call <see cref="ObserveEpoch"/> first.
    /// </summary>
    public (Verdict Verdict, StreamEvent? Gap) Observe(string publisher, long epoch, string topic, long sequence)
    {
        var (_, stale) = ObserveEpoch(publisher, epoch);
        if (stale)
            return (Verdict.Stale, null);
        var last = _publishers[publisher].LastSequence;
        if (!last.TryGetValue(topic, out long previous))
        {
            last[topic] = sequence;
            return (Verdict.Deliver, null);
        }
        if (sequence <= previous)
            return (Verdict.Duplicate, null);
        last[topic] = sequence;
        if (sequence == previous + 1)
            return (Verdict.Deliver, null);
        long missed = sequence - previous - 1;
        return (Verdict.Deliver, new StreamEvent(StreamEventKind.Gap, topic, publisher, missed,
            $"Gap on '{topic}': {missed} message(s) missing between sequence {previous} and {sequence}."));
    }

    /// <summary>Records a snapshot entry as delivered: later messages of its topic up to its sequence are duplicates.</summary>
    public void Seed(string publisher, long epoch, string topic, long sequence)
    {
        var (_, stale) = ObserveEpoch(publisher, epoch);
        if (!stale)
            _publishers[publisher].LastSequence[topic] = sequence;
    }

    private sealed class PublisherState(long epoch)
    {
        public long Epoch { get; } = epoch;
        public Dictionary<string, long> LastSequence { get; } = new(StringComparer.Ordinal);
    }
}
