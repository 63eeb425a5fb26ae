using System.Collections.Concurrent;
using System.Text;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Security;
using ZeroBridge.Streams;

namespace ZeroBridge.Tests.Security;

/// <summary>Encrypted stream payloads (docs/protocol.md §11.6) between the real publisher and subscribers on loopback sockets.</summary>
public class EncryptedStreamTests
{
    private const string Marker = "MARKER-7f3a-secret-order";
    private static readonly ZeroBridgeCertificate PublisherKeys = ZeroBridgeCertificate.Generate();

    private sealed class DenyTopics(params string[] denied) : ITopicKeyPolicy
    {
        public bool MayRead(string connection, string topic) => !denied.Contains(topic);
    }

    private static async Task<ZeroBridgePublisher> StartPublisher(ITopicKeyPolicy? policy = null)
    {
        var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            SnapshotEndpoint = "tcp://127.0.0.1:*",
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            Certificate = PublisherKeys,
            EncryptPayloads = true,
            TopicKeyPolicy = policy,
        });
        await publisher.StartAsync();
        return publisher;
    }

    private static ZeroBridgeSubscriberOptions SubscriberOptions(ZeroBridgePublisher publisher, Action<StreamEvent>? onEvent = null) =>
        ZeroBridgeSubscriberOptions.Default with
        {
            SnapshotEndpoint = publisher.SnapshotEndpoint,
            ServerKey = PublisherKeys.PublicKey,
            OnEvent = onEvent,
        };

    [Fact]
    public async Task A_subscriber_with_the_topic_key_reads_snapshot_and_live_values_with_their_attachments()
    {
        await using var publisher = await StartPublisher();
        publisher.Publish("orders.new", new Dictionary<string, object?> { ["note"] = Marker, ["blob"] = new byte[100_000] });
        await using var subscriber = new ZeroBridgeSubscriber(publisher.Endpoint, ["orders."], SubscriberOptions(publisher));
        await subscriber.StartAsync();
        publisher.Publish("orders.new", new Dictionary<string, object?> { ["note"] = "second" });

        var snapshot = await subscriber.ReadAsync(TimeSpan.FromSeconds(10));
        var live = await subscriber.ReadAsync(TimeSpan.FromSeconds(10));
        Assert.True(snapshot is { IsSnapshot: true, Sequence: 1 }, $"{snapshot}");
        var first = Assert.IsAssignableFrom<IDictionary<string, object?>>(snapshot!.Value);
        Assert.Equal(Marker, first["note"]);
        Assert.Equal(100_000, Assert.IsType<byte[]>(first["blob"]).Length);
        Assert.True(live is { IsSnapshot: false, Sequence: 2 }, $"{live}");
        Assert.Equal("second", Assert.IsAssignableFrom<IDictionary<string, object?>>(live!.Value)["note"]);
    }

    [Fact]
    public async Task A_subscriber_refused_a_topic_key_gets_no_value_of_that_topic_and_is_told()
    {
        await using var publisher = await StartPublisher(new DenyTopics("orders.secret"));
        var events = new ConcurrentQueue<StreamEvent>();
        await using var subscriber = new ZeroBridgeSubscriber(publisher.Endpoint, ["orders."], SubscriberOptions(publisher, events.Enqueue));
        await subscriber.StartAsync();
        publisher.Publish("orders.secret", Marker);
        publisher.Publish("orders.open", "visible");

        var only = await subscriber.ReadAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("orders.open", only?.Topic);
        Assert.Null(await subscriber.ReadAsync(TimeSpan.FromMilliseconds(500)));
        var denied = Assert.Single(events, e => e.Kind == StreamEventKind.KeyDenied);
        Assert.Equal("orders.secret", denied.Topic);
    }

    [Fact]
    public async Task A_CURVE_peer_without_the_key_sees_topic_and_sequence_but_never_the_value()
    {
        await using var publisher = await StartPublisher();
        using var raw = new SubscriberSocket();
        raw.Options.Linger = TimeSpan.Zero;
        raw.Options.CurveServerCertificate = NetMQCertificate.FromPublicKey(PublisherKeys.PublicKey);
        raw.Options.CurveCertificate = new NetMQCertificate();
        raw.Subscribe("orders.");
        raw.Subscribe(StreamWire.HeartbeatTopic);
        raw.Connect(publisher.Endpoint);
        var message = new NetMQMessage();
        Assert.True(raw.TryReceiveMultipartMessage(TimeSpan.FromSeconds(10), ref message), "no heartbeat: not subscribed");
        publisher.Publish("orders.new", Marker);

        do
        {
            message = new NetMQMessage();
            Assert.True(raw.TryReceiveMultipartMessage(TimeSpan.FromSeconds(10), ref message), "no data message");
        }
        while (message[0].ConvertToString() != "orders.new");
        var header = StreamWire.DecodeHeader(message[1].ToByteArray());
        Assert.Equal(1, header.Sequence);
        Assert.Equal(1, header.KeyGeneration);
        Assert.Equal(3, message.FrameCount);
        byte[] marker = Encoding.UTF8.GetBytes(Marker);
        Assert.All(message, frame => Assert.True(frame.ToByteArray().AsSpan().IndexOf(marker) < 0, "the value travelled in clear"));
    }

    [Fact]
    public async Task EncryptPayloads_without_a_certificate_refuses_to_start()
    {
        await using var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            SnapshotEndpoint = "tcp://127.0.0.1:*",
            EncryptPayloads = true,
        });

        var error = await Assert.ThrowsAsync<ZeroBridgeException>(() => publisher.StartAsync());
        Assert.Contains("Certificate", error.Message);
    }
}
