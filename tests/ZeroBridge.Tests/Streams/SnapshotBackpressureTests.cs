using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Streams;

namespace ZeroBridge.Tests.Streams;

/// <summary>A peer that asks for snapshots and never reads them costs the publisher a bounded queue (issue 12 item 9).</summary>
public class SnapshotBackpressureTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>Completes when the publisher logs that it cut a snapshot short: the event to synchronise on.</summary>
    private sealed class CutShortWatcher : ILogger<ZeroBridgePublisher>
    {
        public readonly TaskCompletionSource CutShort = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (formatter(state, exception).Contains("cut short", StringComparison.Ordinal))
                CutShort.TrySetResult();
        }
    }

    [Fact]
    public async Task A_snapshot_the_peer_does_not_read_is_cut_short_at_the_high_water_mark()
    {
        var watcher = new CutShortWatcher();
        await using var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*", SnapshotEndpoint = "tcp://127.0.0.1:*", SnapshotSendHighWatermark = 4,
        }, watcher);
        await publisher.StartAsync();
        const int topics = 64;
        var value = new byte[1024 * 1024]; // 64 MiB in all: far more than the TCP buffers take while nobody reads
        for (int i = 0; i < topics; i++)
            publisher.Publish($"big.{i}", value);

        using var peer = new DealerSocket();
        peer.Options.Linger = TimeSpan.Zero;
        peer.Options.ReceiveHighWatermark = 1;
        peer.Connect(publisher.SnapshotEndpoint!);
        var request = new NetMQMessage();
        request.AppendEmptyFrame();
        request.Append("ZBSNAP01");
        request.Append(MessagePack.MessagePackSerializer.Serialize(new Dictionary<string, object> { ["v"] = 1, ["prefixes"] = new[] { "big." }, ["id"] = "x" }));
        peer.SendMultipartMessage(request);

        await watcher.CutShort.Task.WaitAsync(Wait); // the publisher gave up on the rest instead of queueing it

        int entries = 0;
        var message = new NetMQMessage();
        while (peer.TryReceiveMultipartMessage(TimeSpan.FromSeconds(2), ref message)) // what did get through, then silence
        {
            Assert.NotEqual("\0end", message[1].ConvertToString()); // a cut snapshot never claims to be whole
            entries++;
            message = new NetMQMessage();
        }
        Assert.InRange(entries, 0, topics - 1);
    }
}
