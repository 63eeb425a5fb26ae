namespace ZeroBridge.Streams;

/// <summary>What a subscriber noticed about its stream besides the values.</summary>
public enum StreamEventKind
{
    /// <summary>Messages of a topic are missing (dropped at a high-water mark, lost in a reconnect): <see cref="StreamEvent.Missed"/> says how many.</summary>
    Gap,
    /// <summary>The publisher restarted (its epoch changed); sequences start again from 1.</summary>
    Restart,
    /// <summary>Nothing, not even a heartbeat, arrived for longer than the silence timeout.</summary>
    Silent,
    /// <summary>The publisher is heard again after a silence.</summary>
    Resumed,
    /// <summary>The consumer did not keep up and the subscriber's own buffer dropped messages.</summary>
    Overflow,
    /// <summary>
    /// The publisher encrypts a topic's values and did not hand this subscriber its key (no permission, or no snapshot
    /// endpoint to ask): its values are dropped, <see cref="StreamEvent.Missed"/> of them so far.
    /// </summary>
    KeyDenied,
}

/// <summary>A gap, restart, silence or overflow, reported to <see cref="ZeroBridgeSubscriberOptions.OnEvent"/>.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Topic">The topic concerned (gaps), else null.</param>
/// <param name="Publisher">The publisher concerned, when known.</param>
/// <param name="Missed">How many messages are missing (gaps, overflow).</param>
/// <param name="Message">A sentence for people.</param>
public sealed record StreamEvent(StreamEventKind Kind, string? Topic, string? Publisher, long Missed, string Message);

/// <summary>Counters of a subscriber, read with <see cref="ZeroBridgeSubscriber.Statistics"/>.</summary>
/// <param name="Received">Values delivered (snapshot entries included).</param>
/// <param name="Gaps">Gaps detected.</param>
/// <param name="Missed">Messages missing in all gaps together.</param>
/// <param name="Restarts">Publisher restarts detected.</param>
/// <param name="Duplicates">Messages dropped because they were already delivered (snapshot overlap, replays).</param>
/// <param name="Silences">Times the publisher went silent.</param>
/// <param name="Conflated">Values replaced by a newer value of their topic before they were read (conflating mode).</param>
/// <param name="Overflowed">Messages dropped because the consumer's buffer was full.</param>
/// <param name="Heartbeats">Heartbeats received.</param>
public sealed record StreamStatistics(long Received, long Gaps, long Missed, long Restarts, long Duplicates, long Silences,
    long Conflated, long Overflowed, long Heartbeats);
