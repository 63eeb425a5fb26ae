using ZeroBridge.Streams;

namespace ZeroBridge.UnitTests.Streams;

/// <summary>The subscriber's start-up handshake and per-message checks, without sockets.</summary>
public class SubscriberPhasesTests
{
    private readonly List<StreamEvent> _reports = [];

    private SubscriberPhases<string> Phases(bool awaitPublisher = true, bool withSnapshot = false) =>
        new(awaitPublisher, withSnapshot, _reports.Add);

    private static StreamHeader Heartbeat(long epoch = 1) => new(StreamWire.Kinds.Heartbeat, "pub", epoch, 0, 1000);

    private static StreamHeader Data(long sequence, long epoch = 1) => new(StreamWire.Kinds.Data, "pub", epoch, 0, 1000, sequence);

    [Fact]
    public void Without_a_snapshot_data_before_the_first_heartbeat_is_held_then_delivered_after_it()
    {
        var phases = Phases();
        var early = phases.OnStream("early", isHeartbeat: false);
        Assert.Empty(early.Now);
        Assert.False(early.FetchSnapshot);

        var (now, fetch) = phases.OnStream("hb", isHeartbeat: true);

        Assert.Equal(["hb", "early"], now);
        Assert.False(fetch);
        Assert.Equal(SubscriberPhases<string>.Phase.Live, phases.Current);
    }

    [Fact]
    public void With_a_snapshot_live_data_waits_for_the_snapshots_end_and_a_short_snapshot_is_a_gap()
    {
        var phases = Phases(withSnapshot: true);
        var (first, fetch) = phases.OnStream("hb", isHeartbeat: true);
        Assert.Equal(["hb"], first);
        Assert.True(fetch);
        Assert.Empty(phases.OnStream("live 1", isHeartbeat: false).Now);
        Assert.Equal(["hb 2"], phases.OnStream("hb 2", isHeartbeat: true).Now); // heartbeats are never held

        phases.OnSnapshotEntry();
        var held = phases.OnSnapshotEnd(announced: 2, "pub");

        Assert.Equal(["live 1"], held);
        Assert.Equal(SubscriberPhases<string>.Phase.Live, phases.Current);
        var gap = Assert.Single(_reports);
        Assert.Equal((StreamEventKind.Gap, 1L), (gap.Kind, gap.Missed));
    }

    [Fact]
    public void A_subscriber_that_does_not_wait_is_live_from_the_start()
    {
        var phases = Phases(awaitPublisher: false);
        Assert.Equal(SubscriberPhases<string>.Phase.Live, phases.Current);
        Assert.Equal(["data"], phases.OnStream("data", isHeartbeat: false).Now);
    }

    [Fact]
    public void Values_after_a_snapshot_are_delivered_once_and_in_order_with_gaps_reported()
    {
        var phases = Phases(withSnapshot: true);
        Assert.True(phases.Admit(new StreamHeader(StreamWire.Kinds.Snapshot, "pub", 1, 0, 1000, 5), "t", snapshot: true));

        Assert.False(phases.Admit(Data(5), "t", snapshot: false)); // already in the snapshot
        Assert.True(phases.Admit(Data(6), "t", snapshot: false));
        Assert.True(phases.Admit(Data(9), "t", snapshot: false));

        var gap = Assert.Single(_reports);
        Assert.Equal((StreamEventKind.Gap, 2L), (gap.Kind, gap.Missed));
        Assert.Equal((1L, 2L, 1L), (phases.Gaps, phases.Missed, phases.Duplicates));
    }

    [Fact]
    public void A_restart_is_reported_once_whichever_message_shows_it_and_the_old_runs_messages_are_dropped()
    {
        var phases = Phases(awaitPublisher: false);
        Assert.False(phases.Admit(Heartbeat(epoch: 1), "", snapshot: false));
        Assert.True(phases.Admit(Data(10, epoch: 1), "t", snapshot: false));

        Assert.False(phases.Admit(Heartbeat(epoch: 2), "", snapshot: false)); // the new run's heartbeat shows it
        Assert.True(phases.Admit(Data(1, epoch: 2), "t", snapshot: false));   // sequences start again: no gap, no duplicate
        Assert.False(phases.Admit(Data(11, epoch: 1), "t", snapshot: false)); // late from the old run: stale

        var restart = Assert.Single(_reports);
        Assert.Equal(StreamEventKind.Restart, restart.Kind);
        Assert.Equal((1L, 2L, 1L), (phases.Restarts, phases.Heartbeats, phases.Duplicates));
    }

    [Fact]
    public void A_value_without_a_sequence_or_of_an_unknown_kind_is_ignored()
    {
        var phases = Phases(awaitPublisher: false);
        Assert.False(phases.Admit(new StreamHeader(StreamWire.Kinds.Data, "pub", 1, 0, 1000), "t", snapshot: false));
        Assert.False(phases.Admit(new StreamHeader("later-kind", "pub", 9, 0, 1000, 1), "t", snapshot: false));
        Assert.Empty(_reports);
    }
}
