using ZeroBridge.Transport;

namespace ZeroBridge.UnitTests.Transport;

/// <summary>The rules of <see cref="ConnectionLimits"/>, without sockets: readings of a connection's counters in, verdicts out.</summary>
public class ConnectionProgressTests
{
    private static readonly ConnectionLimits Limits = ConnectionLimits.Default with
    {
        HandshakeTimeout = TimeSpan.FromSeconds(30),
        MinimumReadBytesPerSecond = 100,
        ReadGracePeriod = TimeSpan.FromSeconds(10),
    };

    private const int Handshake = ConnectionProgress.NullHandshakeBytes;

    private static TcpConnectionInfo Reading(long received = Handshake, long acknowledged = 0, bool waiting = false) =>
        new(received, acknowledged, waiting);

    [Fact]
    public void A_peer_short_of_a_whole_handshake_is_kept_until_the_timeout_and_closed_at_it()
    {
        var progress = new ConnectionProgress(openedAtMs: 1_000);
        Assert.Equal(ConnectionVerdict.Keep, progress.Judge(Reading(received: 0), 30_999, Limits, Handshake));
        Assert.Equal(ConnectionVerdict.HandshakeTimedOut, progress.Judge(Reading(received: Handshake - 1), 31_000, Limits, Handshake));
    }

    [Fact]
    public void A_peer_that_sent_a_whole_handshake_once_is_never_judged_on_it_again()
    {
        var progress = new ConnectionProgress(openedAtMs: 0);
        Assert.Equal(ConnectionVerdict.Keep, progress.Judge(Reading(received: Handshake), 10, Limits, Handshake));
        Assert.Equal(ConnectionVerdict.Keep, progress.Judge(Reading(received: Handshake), 3_600_000, Limits, Handshake));
    }

    [Fact]
    public void The_CURVE_handshake_asks_for_more_bytes_than_the_NULL_one()
    {
        var progress = new ConnectionProgress(openedAtMs: 0);
        Assert.Equal(ConnectionVerdict.HandshakeTimedOut,
            progress.Judge(Reading(received: ConnectionProgress.NullHandshakeBytes), 30_000, Limits, ConnectionProgress.CurveHandshakeBytes));
        Assert.True(ConnectionProgress.CurveHandshakeBytes > ConnectionProgress.NullHandshakeBytes);
    }

    [Fact]
    public void An_unlimited_handshake_is_never_timed_out()
    {
        var progress = new ConnectionProgress(openedAtMs: 0);
        Assert.Equal(ConnectionVerdict.Keep, progress.Judge(Reading(received: 0), long.MaxValue / 2, ConnectionLimits.None, Handshake));
    }

    [Fact]
    public void A_peer_that_takes_nothing_while_data_waits_is_closed_after_the_grace_period()
    {
        var progress = new ConnectionProgress(openedAtMs: 0);
        Assert.Equal(ConnectionVerdict.Keep, progress.Judge(Reading(acknowledged: 5_000, waiting: true), 1_000, Limits, Handshake));
        Assert.Equal(ConnectionVerdict.Keep, progress.Judge(Reading(acknowledged: 5_000, waiting: true), 10_999, Limits, Handshake));
        Assert.Equal(ConnectionVerdict.NotReading, progress.Judge(Reading(acknowledged: 5_000, waiting: true), 11_000, Limits, Handshake));
    }

    [Fact]
    public void A_peer_that_reads_at_the_minimum_rate_is_kept_period_after_period()
    {
        var progress = new ConnectionProgress(openedAtMs: 0);
        long acknowledged = 0;
        progress.Judge(Reading(acknowledged: acknowledged, waiting: true), 0, Limits, Handshake);
        for (long now = 10_000; now <= 100_000; now += 10_000)
        {
            acknowledged += 1_000; // 100 bytes/s, exactly the minimum
            Assert.Equal(ConnectionVerdict.Keep, progress.Judge(Reading(acknowledged: acknowledged, waiting: true), now, Limits, Handshake));
        }
        // The next period it takes less than the minimum: judged on that period alone, not helped by the earlier ones.
        Assert.Equal(ConnectionVerdict.NotReading, progress.Judge(Reading(acknowledged: acknowledged + 999, waiting: true), 110_000, Limits, Handshake));
    }

    [Fact]
    public void Waiting_that_ends_starts_the_grace_period_over()
    {
        var progress = new ConnectionProgress(openedAtMs: 0);
        progress.Judge(Reading(waiting: true), 0, Limits, Handshake);
        Assert.Equal(ConnectionVerdict.Keep, progress.Judge(Reading(acknowledged: 10, waiting: false), 9_000, Limits, Handshake));
        Assert.Equal(ConnectionVerdict.Keep, progress.Judge(Reading(acknowledged: 10, waiting: true), 12_000, Limits, Handshake));
        Assert.Equal(ConnectionVerdict.Keep, progress.Judge(Reading(acknowledged: 10, waiting: true), 21_999, Limits, Handshake));
        Assert.Equal(ConnectionVerdict.NotReading, progress.Judge(Reading(acknowledged: 10, waiting: true), 22_000, Limits, Handshake));
    }

    [Fact]
    public void A_peer_is_never_judged_on_reading_with_the_rate_limit_off()
    {
        var progress = new ConnectionProgress(openedAtMs: 0);
        var limits = Limits with { MinimumReadBytesPerSecond = 0 };
        progress.Judge(Reading(waiting: true), 0, limits, Handshake);
        Assert.Equal(ConnectionVerdict.Keep, progress.Judge(Reading(waiting: true), 3_600_000, limits, Handshake));
    }

    [Fact]
    public void Checks_come_four_times_per_shortest_limit_and_at_least_once_a_second()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), ConnectionLimits.Default.CheckInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(75), (ConnectionLimits.Default with { HandshakeTimeout = TimeSpan.FromMilliseconds(300) }).CheckInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(125), (ConnectionLimits.None with { ReadGracePeriod = TimeSpan.FromMilliseconds(500), MinimumReadBytesPerSecond = 1 }).CheckInterval);
    }
}
