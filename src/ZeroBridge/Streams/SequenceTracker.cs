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
        var (verdict, _, gap) = ObserveRun(publisher, epoch, topic, sequence, 1);
        return (verdict, gap);
    }

    /// <summary>
    /// <see cref="Observe"/> for the values <paramref name="first"/> .. <paramref name="first"/> + <paramref name="count"/> - 1
    /// of a batch (docs/protocol.md §11.7): also how many of them, from the start, were delivered already.
    /// </summary>
    public (Verdict Verdict, long Skip, StreamEvent? Gap) ObserveRun(string publisher, long epoch, string topic, long first, long count)
    {
        var (_, stale) = ObserveEpoch(publisher, epoch);
        if (stale)
            return (Verdict.Stale, count, null);
        var last = _publishers[publisher].LastSequence;
        long end = first + count - 1;
        if (!last.TryGetValue(topic, out long previous))
        {
            last[topic] = end;
            return (Verdict.Deliver, 0, null);
        }
        if (end <= previous)
            return (Verdict.Duplicate, count, null);
        last[topic] = end;
        if (first <= previous + 1)
            return (Verdict.Deliver, previous + 1 - first, null);
        long missed = first - previous - 1;
        return (Verdict.Deliver, 0, new StreamEvent(StreamEventKind.Gap, topic, publisher, missed,
            $"Gap on '{topic}': {missed} message(s) missing between sequence {previous} and {first}."));
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
