using System.Collections.Concurrent;
using ZeroBridge.Commands;
using ZeroBridge.Security;
using ZeroBridge.Streams;

namespace ZeroBridge.TestHost;

/// <summary>Commands that let Python tests and benchmarks drive C# publishers in this process (<c>stream.*</c>).</summary>
internal static class StreamTestCommands
{
    private static readonly ConcurrentDictionary<int, ZeroBridgePublisher> Publishers = new();
    private static int _nextId;

    public static CommandRegistry AddStreamTestCommands(this CommandRegistry commands) => commands
        .Add("stream.start", async (string endpoint = "tcp://127.0.0.1:*", string? snapshot = "tcp://127.0.0.1:*", int hwm = 1000,
            int heartbeat_ms = 1000, string name = "test-publisher", int snapshot_hwm = 100_000, string? cert = null, bool encrypt = false) =>
        {
            var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with
            {
                Endpoint = endpoint,
                SnapshotEndpoint = string.IsNullOrEmpty(snapshot) ? null : snapshot,
                SendHighWatermark = hwm,
                SnapshotSendHighWatermark = snapshot_hwm,
                HeartbeatInterval = TimeSpan.FromMilliseconds(heartbeat_ms),
                Name = name,
                Certificate = string.IsNullOrEmpty(cert) ? null : ZeroBridgeCertificate.Load(cert), // a NAME.key_secret file
                EncryptPayloads = encrypt,
            });
            await publisher.StartAsync();
            int id = Interlocked.Increment(ref _nextId);
            Publishers[id] = publisher;
            return new Dictionary<string, object?>
            {
                ["id"] = id, ["endpoint"] = publisher.Endpoint, ["snapshot"] = publisher.SnapshotEndpoint, ["epoch"] = publisher.Epoch,
            };
        })
        .Add("stream.publish", async (int id, string topic, int count = 1, int payload_bytes = 0, int batch = 1, double interval_ms = 0,
            bool publish_batch = false) =>
        {
            // batch > 1: each message is a list of batch values; with publish_batch, PublishBatch sends them as a
            // batch of separate values instead (docs/protocol.md §11.7).
            // interval_ms paces the values here, in the publisher's process, as a benchmark's baseline publisher
            // paces its own: the subscriber's process does nothing but receive.
            var publisher = Publishers[id];
            string pad = new('x', payload_bytes);
            long last = 0;
            for (int i = 0; i < count; i++)
            {
                object value = batch <= 1
                    ? new Dictionary<string, object?> { ["i"] = i, ["pad"] = pad, ["sent"] = DateTimeOffset.UtcNow }
                    : Enumerable.Range(0, batch).Select(j => new Dictionary<string, object?> { ["i"] = i * batch + j, ["pad"] = pad }).ToArray();
                last = publish_batch ? publisher.PublishBatch(topic, (object?[])value) : publisher.Publish(topic, value);
                if (interval_ms > 0)
                    await Task.Delay(TimeSpan.FromMilliseconds(interval_ms));
            }
            return last;
        })
        .Add("stream.stop", async (int id) =>
        {
            if (Publishers.TryRemove(id, out var publisher))
                await publisher.DisposeAsync();
            return true;
        });
}
