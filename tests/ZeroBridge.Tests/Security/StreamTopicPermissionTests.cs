using ZeroBridge.Security;
using ZeroBridge.Streams;
using ZeroBridge.Tests.Fixtures;

namespace ZeroBridge.Tests.Security;

/// <summary>
/// Topic keys for proved keys only (docs/security.md, "Streams"): a publisher with an allow-list hands a topic's key
/// to a subscriber that proved, on the snapshot socket, a key whose <c>topics</c> permit the topic. Real publisher and
/// subscribers on loopback CURVE sockets.
/// </summary>
public class StreamTopicPermissionTests
{
    private const string Marker = "MARKER-91c2-secret-price";
    private static readonly ZeroBridgeCertificate PublisherKeys = ZeroBridgeCertificate.Generate();
    private static readonly ZeroBridgeCertificate PricesReader = Reader("prices.*");
    private static readonly ZeroBridgeCertificate OrdersReader = Reader("orders.*");
    private static readonly AllowList Allowed = AllowList.FromCallback(key =>
        new[] { PricesReader, OrdersReader }.FirstOrDefault(c => c.PublicKey == key) is { } known ? CallerIdentity.FromCertificate(known) : null);

    private static ZeroBridgeCertificate Reader(string topics) =>
        ZeroBridgeCertificate.Generate(new Dictionary<string, string> { ["topics"] = topics });

    private static async Task<ZeroBridgePublisher> StartPublisher(AllowList? allowList, bool? encrypt = true,
        ListLogger<ZeroBridgePublisher>? log = null)
    {
        var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            SnapshotEndpoint = "tcp://127.0.0.1:*",
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            Certificate = PublisherKeys,
            EncryptPayloads = encrypt,
            AllowList = allowList,
        }, log);
        await publisher.StartAsync();
        return publisher;
    }

    private static async Task<ZeroBridgeSubscriber> Subscribe(ZeroBridgePublisher publisher, ZeroBridgeCertificate client,
        Action<StreamEvent>? onEvent = null)
    {
        var subscriber = new ZeroBridgeSubscriber(publisher.Endpoint, ["prices."], ZeroBridgeSubscriberOptions.Default with
        {
            SnapshotEndpoint = publisher.SnapshotEndpoint,
            ServerKey = PublisherKeys.PublicKey,
            Certificate = client,
            OnEvent = onEvent,
        });
        await subscriber.StartAsync();
        return subscriber;
    }

    [Fact]
    public async Task A_key_whose_topics_permit_the_topic_reads_snapshot_and_live_values()
    {
        await using var publisher = await StartPublisher(Allowed);
        publisher.Publish("prices.EURUSD", Marker);
        await using var subscriber = await Subscribe(publisher, PricesReader);
        publisher.Publish("prices.EURUSD", "live");

        var snapshot = await subscriber.ReadAsync(TimeSpan.FromSeconds(10));
        var live = await subscriber.ReadAsync(TimeSpan.FromSeconds(10));
        Assert.True(snapshot is { IsSnapshot: true, Value: Marker }, $"{snapshot}");
        Assert.True(live is { IsSnapshot: false, Value: "live" }, $"{live}");
    }

    [Fact]
    public async Task A_key_permitted_other_topics_is_refused_the_key_and_never_gets_a_value()
    {
        await AssertRefused(OrdersReader);
    }

    [Fact]
    public async Task A_key_not_on_the_allow_list_is_refused_the_key_and_never_gets_a_value()
    {
        await AssertRefused(Reader("prices.*")); // permits the topic, but the publisher does not know it
    }

    [Fact]
    public async Task A_subscriber_with_a_certificate_reads_from_a_publisher_without_an_allow_list()
    {
        await using var publisher = await StartPublisher(allowList: null);
        await using var subscriber = await Subscribe(publisher, OrdersReader);
        publisher.Publish("prices.EURUSD", Marker);

        var value = await subscriber.ReadAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Marker, value?.Value);
    }

    [Fact]
    public async Task An_allow_list_without_a_snapshot_endpoint_refuses_to_start()
    {
        await using var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            Certificate = PublisherKeys,
            AllowList = Allowed,
        });

        var error = await Assert.ThrowsAsync<ZeroBridgeException>(() => publisher.StartAsync());
        Assert.Contains("SnapshotEndpoint", error.Message);
    }

    [Fact]
    public async Task An_allow_list_turns_payload_encryption_on_by_itself()
    {
        await AssertRefused(OrdersReader, encrypt: null);
    }

    [Fact]
    public async Task Payload_encryption_turned_off_despite_an_allow_list_is_logged_and_values_go_to_every_CURVE_peer()
    {
        var log = new ListLogger<ZeroBridgePublisher>();
        await using var publisher = await StartPublisher(Allowed, encrypt: false, log);
        await using var subscriber = await Subscribe(publisher, OrdersReader); // not permitted prices.*, and still reads them
        publisher.Publish("prices.EURUSD", Marker);

        var value = await subscriber.ReadAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Marker, value?.Value);
        Assert.Contains(log.Lines, line => line.Contains("payload encryption is off"));
    }

    [Fact]
    public async Task A_key_leaving_the_allow_list_gets_no_value_sealed_after_the_keys_are_renewed()
    {
        var keeper = Reader("prices.*");
        var leaver = Reader("prices.*");
        var allowed = new System.Collections.Concurrent.ConcurrentDictionary<string, ZeroBridgeCertificate>
        {
            [keeper.PublicKey] = keeper,
            [leaver.PublicKey] = leaver,
        };
        var allowList = AllowList.FromCallback(key => allowed.TryGetValue(key, out var known) ? CallerIdentity.FromCertificate(known) : null);
        var log = new ListLogger<ZeroBridgePublisher>();
        await using var publisher = await StartPublisher(allowList, log: log);
        publisher.Publish("prices.EURUSD", "before");
        var denied = new TaskCompletionSource<StreamEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var stays = await Subscribe(publisher, keeper);
        await using var leaves = await Subscribe(publisher, leaver, e =>
        {
            if (e.Kind == StreamEventKind.KeyDenied)
                denied.TrySetResult(e);
        });
        Assert.Equal("before", (await leaves.ReadAsync(TimeSpan.FromSeconds(10)))?.Value); // it held the key
        Assert.Equal("before", (await stays.ReadAsync(TimeSpan.FromSeconds(10)))?.Value);

        allowed.TryRemove(leaver.PublicKey, out _);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        for (int i = 0; !denied.Task.IsCompleted && DateTime.UtcNow < deadline; i++)
        {
            publisher.Publish("prices.EURUSD", $"while renewing {i}");
            await Task.WhenAny(denied.Task, Task.Delay(100)); // publishing until the subscriber meets a renewed key
        }
        Assert.True(denied.Task.IsCompleted, "the removed key was never refused a renewed topic key");
        Assert.Contains(log.Lines, line => line.Contains("topic key(s) renewed"));

        publisher.Publish("prices.EURUSD", Marker);
        StreamMessage? seen;
        do
            seen = await stays.ReadAsync(TimeSpan.FromSeconds(10));
        while (seen is not null && !Equals(seen.Value, Marker));
        Assert.Equal(Marker, seen?.Value); // the key still allowed reads on with the renewed key
        var leaverSaw = new List<object?>();
        while (await leaves.ReadAsync(TimeSpan.FromMilliseconds(500)) is { } message)
            leaverSaw.Add(message.Value);
        Assert.DoesNotContain(Marker, leaverSaw);
    }

    private static async Task AssertRefused(ZeroBridgeCertificate client, bool? encrypt = true)
    {
        await using var publisher = await StartPublisher(Allowed, encrypt);
        publisher.Publish("prices.EURUSD", Marker);
        var denied = new TaskCompletionSource<StreamEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscriber = await Subscribe(publisher, client, e =>
        {
            if (e.Kind == StreamEventKind.KeyDenied)
                denied.TrySetResult(e);
        });
        publisher.Publish("prices.EURUSD", "live");

        var refusal = await denied.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("prices.EURUSD", refusal.Topic);
        publisher.Publish("prices.EURUSD", "after the refusal");
        Assert.Null(await subscriber.ReadAsync(TimeSpan.FromMilliseconds(500)));
    }
}
