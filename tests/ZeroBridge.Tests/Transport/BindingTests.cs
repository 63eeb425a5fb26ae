using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Commands;
using ZeroBridge.Server;
using ZeroBridge.Streams;

namespace ZeroBridge.Tests.Transport;

/// <summary>Binding a port that this process released a moment ago, and one that is really taken.</summary>
public class BindingTests
{
    [Fact]
    public async Task A_publisher_stopped_and_started_again_on_its_port_binds_it_every_time()
    {
        var first = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with { Endpoint = "tcp://127.0.0.1:*" });
        await first.StartAsync();
        string endpoint = first.Endpoint!;
        await first.DisposeAsync();
        // NetMQ closes listeners after Dispose returns: an immediate re-bind races the I/O thread each round.
        for (int round = 0; round < 20; round++)
        {
            await using var again = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with { Endpoint = endpoint, SnapshotEndpoint = null });
            await again.StartAsync();
            Assert.Equal(endpoint, again.Endpoint);
        }
    }

    [Fact]
    public async Task A_port_held_by_another_socket_still_fails_to_bind_after_the_wait()
    {
        using var holder = new RouterSocket();
        int port = holder.BindRandomPort("tcp://127.0.0.1");
        var server = new ZeroBridgeServer(new CommandRegistry(),
            ZeroBridgeServerOptions.Default with { Endpoint = $"tcp://127.0.0.1:{port}" });

        await Assert.ThrowsAsync<AddressAlreadyInUseException>(() => server.StartAsync());
        server.Dispose(); // a server whose start failed disposes cleanly
    }

    [Fact]
    public async Task A_publisher_whose_port_is_taken_fails_to_start_and_disposes_cleanly()
    {
        using var holder = new RouterSocket();
        int port = holder.BindRandomPort("tcp://127.0.0.1");
        var publisher = new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with { Endpoint = $"tcp://127.0.0.1:{port}" });

        await Assert.ThrowsAsync<AddressAlreadyInUseException>(() => publisher.StartAsync());
        publisher.Dispose();
    }

    [Fact]
    public async Task Components_never_started_dispose_cleanly()
    {
        var commands = new CommandRegistry();
        await new ZeroBridgeServer(commands).DisposeAsync();
        await new ZeroBridgePublisher().DisposeAsync();
        await new ZeroBridge.Majordomo.ZeroBridgeBroker().DisposeAsync();
        await new ZeroBridge.Majordomo.ZeroBridgeWorker(commands, "tcp://127.0.0.1:1", "svc").DisposeAsync();
        await new ZeroBridge.Tasks.ZeroBridgeTaskProducer().DisposeAsync();
        await new ZeroBridge.Tasks.ZeroBridgeTaskWorker(commands, "tcp://127.0.0.1:1").DisposeAsync();
    }
}
