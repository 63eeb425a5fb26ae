using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Commands;
using ZeroBridge.Security;
using ZeroBridge.Streams;
using ZeroBridge.Tasks;

namespace ZeroBridge.Tests.Security;

/// <summary>The publisher (stream and snapshot socket) and the task producer over CurveZMQ, with C# peers, on real loopback sockets.</summary>
public class CurveStreamAndTaskTests
{
    private static readonly ZeroBridgeCertificate PublisherKeys = ZeroBridgeCertificate.Generate();

    private static async Task<ZeroBridgePublisher> StartPublisher(ZeroBridgeCertificate? keys)
    {
        var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            SnapshotEndpoint = "tcp://127.0.0.1:*",
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            Certificate = keys,
        });
        await publisher.StartAsync();
        return publisher;
    }

    [Fact]
    public async Task A_subscriber_given_the_publisher_key_gets_the_snapshot_and_the_live_stream_over_CURVE()
    {
        await using var publisher = await StartPublisher(PublisherKeys);
        publisher.Publish("prices.ACME", 41);
        await using var subscriber = new ZeroBridgeSubscriber(publisher.Endpoint, ["prices."], ZeroBridgeSubscriberOptions.Default with
        {
            SnapshotEndpoint = publisher.SnapshotEndpoint,
            ServerKey = PublisherKeys.PublicKey,
            Certificate = ZeroBridgeCertificate.Generate(),
        });
        await subscriber.StartAsync();
        publisher.Publish("prices.ACME", 42);

        var snapshot = await subscriber.ReadAsync(TimeSpan.FromSeconds(10));
        var live = await subscriber.ReadAsync(TimeSpan.FromSeconds(10));
        Assert.True(snapshot is { IsSnapshot: true, Sequence: 1 }, $"{snapshot}");
        Assert.Equal(41, Convert.ToInt32(snapshot!.Value));
        Assert.True(live is { IsSnapshot: false, Sequence: 2 }, $"{live}");
        Assert.Equal(42, Convert.ToInt32(live!.Value));
    }

    [Fact]
    public async Task A_subscriber_with_a_wrong_publisher_key_fails_with_an_error_that_names_the_handshake()
    {
        await using var publisher = await StartPublisher(PublisherKeys);
        await using var subscriber = new ZeroBridgeSubscriber(publisher.Endpoint, [""], ZeroBridgeSubscriberOptions.Default with
        {
            ServerKey = ZeroBridgeCertificate.Generate().PublicKey,
            StartTimeout = TimeSpan.FromSeconds(2),
        });

        var error = await Assert.ThrowsAsync<ZeroBridgeAuthenticationException>(() => subscriber.StartAsync());
        Assert.Contains("handshake", error.Message);
    }

    [Fact]
    public async Task A_plain_text_subscriber_of_a_CURVE_publisher_receives_nothing()
    {
        await using var publisher = await StartPublisher(PublisherKeys);
        using var plain = new SubscriberSocket();
        plain.Options.Linger = TimeSpan.Zero;
        plain.SubscribeToAnyTopic();
        plain.Connect(publisher.Endpoint);
        publisher.Publish("prices.ACME", 1);

        var nothing = new NetMQMessage();
        Assert.False(plain.TryReceiveMultipartMessage(TimeSpan.FromSeconds(1), ref nothing)); // not even a heartbeat (every 100 ms)
    }

    [Theory]
    [InlineData("tcp://0.0.0.0:*", null)]
    [InlineData("tcp://127.0.0.1:*", "tcp://0.0.0.0:*")]
    public async Task A_publisher_with_an_endpoint_beyond_loopback_without_CURVE_refuses_to_start(string endpoint, string? snapshot)
    {
        await using var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with { Endpoint = endpoint, SnapshotEndpoint = snapshot });

        var error = await Assert.ThrowsAsync<ZeroBridgeException>(() => publisher.StartAsync());
        Assert.Contains("zbridge keygen", error.Message);
        Assert.Contains("--insecure", error.Message);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task A_publisher_beyond_loopback_starts_with_CURVE_or_when_told_it_is_insecure(bool curve, bool insecure)
    {
        await using var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with
        {
            Endpoint = "tcp://0.0.0.0:*",
            Certificate = curve ? PublisherKeys : null,
            Insecure = insecure,
        });
        await publisher.StartAsync();

        Assert.StartsWith("tcp://0.0.0.0:", publisher.Endpoint);
    }

    [Fact]
    public async Task A_task_worker_given_the_producer_key_runs_tasks_over_CURVE()
    {
        await using var producer = new ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            Certificate = PublisherKeys,
        });
        await producer.StartAsync();
        await using var worker = new ZeroBridgeTaskWorker(new CommandRegistry().Add("square", (int x) => x * x), producer.Endpoint,
            ZeroBridgeTaskWorkerOptions.Default with { ServerKey = PublisherKeys.PublicKey, Certificate = ZeroBridgeCertificate.Generate() });
        await worker.StartAsync();
        await producer.WaitForWorkersAsync(1, TimeSpan.FromSeconds(20));

        var results = new List<TaskResult>();
        await foreach (var result in producer.RunAsync("square", [3, 4], TaskRunOptions.Default with { Timeout = TimeSpan.FromSeconds(30) }))
            results.Add(result);
        Assert.Equal([9, 16], results.OrderBy(r => r.Index).Select(r => Convert.ToInt32(r.Value)));
    }

    [Fact]
    public async Task A_task_worker_with_a_wrong_producer_key_is_never_counted_as_a_worker()
    {
        await using var producer = new ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            Certificate = PublisherKeys,
        });
        await producer.StartAsync();
        await using var worker = new ZeroBridgeTaskWorker(new CommandRegistry().Add("square", (int x) => x * x), producer.Endpoint,
            ZeroBridgeTaskWorkerOptions.Default with { ServerKey = ZeroBridgeCertificate.Generate().PublicKey });
        await worker.StartAsync();

        await Assert.ThrowsAsync<ZeroBridgeTimeoutException>(() => producer.WaitForWorkersAsync(1, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task A_task_producer_beyond_loopback_without_CURVE_refuses_to_start()
    {
        await using var producer = new ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions.Default with { Endpoint = "tcp://0.0.0.0:*" });

        var error = await Assert.ThrowsAsync<ZeroBridgeException>(() => producer.StartAsync());
        Assert.Contains("task producer", error.Message);
        Assert.Contains("--insecure", error.Message);
    }
}
