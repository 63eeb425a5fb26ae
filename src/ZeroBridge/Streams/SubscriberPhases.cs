namespace ZeroBridge.Streams;

/// <summary>
/// What a subscriber does with each message, without sockets (docs/protocol.md §11.3-11.4): the start-up handshake
/// (wait for the publisher's first heartbeat, then, with snapshots, hold live data until the snapshot is in) and the
/// checks every message goes through (publisher restarts, stale and duplicate messages, sequence gaps), each reported
/// once through the callback given.
/// </summary>
/// <typeparam name="TMessage">The driver's raw message, held here while the snapshot is fetched.</typeparam>
/// <remarks>Not thread-safe: the subscriber's socket thread owns it. The counters may be read from any thread.</remarks>
internal sealed class SubscriberPhases<TMessage>(bool awaitPublisher, bool withSnapshot, Action<StreamEvent> report)
{
    private readonly SequenceTracker _tracker = new();
    private readonly List<TMessage> _held = [];
    private long _snapshotEntries;
    private long _gaps, _missed, _restarts, _duplicates, _heartbeats;

    /// <summary>Where the subscriber is in its start.</summary>
    public enum Phase
    {
        /// <summary>Subscribed; waiting for the publisher's first heartbeat (then every subscription is in place).</summary>
        AwaitingPublisher,
        /// <summary>The snapshot was asked for; live data is held until it is in.</summary>
        FetchingSnapshot,
        /// <summary>Every message is delivered as it comes.</summary>
        Live,
    }

    /// <summary>The phase now.</summary>
    public Phase Current { get; private set; } = awaitPublisher ? Phase.AwaitingPublisher : Phase.Live;

    /// <summary>Sequence gaps seen.</summary>
    public long Gaps => Interlocked.Read(ref _gaps);
    /// <summary>Messages missing in those gaps.</summary>
    public long Missed => Interlocked.Read(ref _missed);
    /// <summary>Publisher restarts seen.</summary>
    public long Restarts => Interlocked.Read(ref _restarts);
    /// <summary>Messages dropped as duplicate or stale.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);
    /// <summary>Heartbeats received.</summary>
    public long Heartbeats => Interlocked.Read(ref _heartbeats);

    /// <summary>
    /// A message came on the stream. Returns the messages to check and deliver now, in order (none while it is held),
    /// and whether the snapshot should be asked for now.
    /// </summary>
    public (IReadOnlyList<TMessage> Now, bool FetchSnapshot) OnStream(TMessage message, bool isHeartbeat)
    {
        if (Current == Phase.Live)
            return ([message], false);
        if (Current == Phase.AwaitingPublisher && isHeartbeat)
        {
            if (withSnapshot)
            {
                Current = Phase.FetchingSnapshot;
                return ([message], true);
            }
            return ([message, .. GoLive()], false);
        }
        if (isHeartbeat)
            return ([message], false);
        _held.Add(message); // until the snapshot is in: then dropped if older, delivered if newer
        return ([], false);
    }

    /// <summary>A snapshot entry came: check it with <see cref="Admit(StreamHeader, string, bool)"/> as a snapshot value.</summary>
    public void OnSnapshotEntry() => _snapshotEntries++;

    /// <summary>
    /// The snapshot's end came, announcing <paramref name="announced"/> entries: a shortfall is reported as a gap, and the
    /// subscriber goes live. Returns the messages held meanwhile, to check and deliver now.
    /// </summary>
    public IReadOnlyList<TMessage> OnSnapshotEnd(long? announced, string publisher)
    {
        if (announced != _snapshotEntries)
            Report(new StreamEvent(StreamEventKind.Gap, null, publisher, (announced ?? 0) - _snapshotEntries,
                $"The snapshot announced {announced} entries but {_snapshotEntries} arrived."));
        return GoLive();
    }

    /// <summary>
    /// Checks a message's header: a heartbeat or a new epoch may report a restart; a stale or duplicate value is
    /// dropped; a value after missing ones reports the gap. A snapshot value seeds its topic's sequence instead.
    /// </summary>
    /// <returns>True when the message carries a value to deliver.</returns>
    public bool Admit(StreamHeader header, string topic, bool snapshot) => Admit(header, topic, snapshot, out _);

    /// <summary>
    /// <see cref="Admit(StreamHeader, string, bool)"/>, also for a batch (docs/protocol.md §11.7): <paramref name="skip"/>
    /// is how many of its values, from the start, were delivered already (0 for a single value).
    /// </summary>
    public bool Admit(StreamHeader header, string topic, bool snapshot, out long skip)
    {
        skip = 0;
        if (header.Kind == StreamWire.Kinds.Heartbeat)
        {
            Interlocked.Increment(ref _heartbeats);
            ObserveEpoch(header);
            return false;
        }
        if (header.Kind is not (StreamWire.Kinds.Data or StreamWire.Kinds.Snapshot or StreamWire.Kinds.Batch) || header.Sequence is not { } sequence)
            return false; // a kind of a later version (or a value without its sequence): ignored
        long count = header.Kind == StreamWire.Kinds.Batch ? header.Count ?? 1 : 1;
        bool stale = ObserveEpoch(header);
        if (snapshot)
        {
            _tracker.Seed(header.Publisher, header.Epoch, topic, sequence);
            return true;
        }
        if (stale)
        {
            Interlocked.Increment(ref _duplicates);
            return false;
        }
        var (verdict, skipped, gap) = _tracker.ObserveRun(header.Publisher, header.Epoch, topic, sequence, count);
        if (verdict != SequenceTracker.Verdict.Deliver)
        {
            Interlocked.Add(ref _duplicates, count);
            return false;
        }
        skip = skipped;
        Interlocked.Add(ref _duplicates, skipped);
        if (gap is not null)
        {
            Interlocked.Increment(ref _gaps);
            Interlocked.Add(ref _missed, gap.Missed);
            Report(gap);
        }
        return true;
    }

    /// <summary>The one place a restart is noticed and reported. True when the message is from an earlier run.</summary>
    private bool ObserveEpoch(StreamHeader header)
    {
        var (restart, stale) = _tracker.ObserveEpoch(header.Publisher, header.Epoch);
        if (restart is not null)
        {
            Interlocked.Increment(ref _restarts);
            Report(restart);
        }
        return stale;
    }

    private IReadOnlyList<TMessage> GoLive()
    {
        Current = Phase.Live;
        var held = _held.ToList();
        _held.Clear();
        return held;
    }

    private void Report(StreamEvent streamEvent) => report(streamEvent);
}
