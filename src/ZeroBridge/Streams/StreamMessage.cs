namespace ZeroBridge.Streams;

/// <summary>One value received from a stream.</summary>
/// <param name="Topic">The topic it was published on.</param>
/// <param name="Sequence">Its number among the messages of that topic in this run of the publisher, from 1.</param>
/// <param name="Timestamp">When the publisher published it.</param>
/// <param name="Value">The value, decoded as any value of docs/protocol.md §4 (records as dictionaries, tables as <see cref="Serialization.TableData"/>).</param>
/// <param name="Publisher">The publisher's name.</param>
/// <param name="Epoch">The publisher's start epoch (µs since 1970 UTC).</param>
/// <param name="IsSnapshot">Whether it came from the snapshot a late joiner fetched rather than the live stream.</param>
public sealed record StreamMessage(string Topic, long Sequence, DateTimeOffset Timestamp, object? Value,
    string Publisher, long Epoch, bool IsSnapshot = false);
