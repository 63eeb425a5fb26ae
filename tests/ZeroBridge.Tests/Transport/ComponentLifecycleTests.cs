using ZeroBridge.Majordomo;
using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Server;
using ZeroBridge.Streams;
using ZeroBridge.Tasks;

namespace ZeroBridge.Tests.Transport;

/// <summary>The one lifecycle every socket-owning component shares: start once, stop (any number of times), dispose.</summary>
public class ComponentLifecycleTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private const string Ephemeral = "tcp://127.0.0.1:*";
    private const string Nobody = "tcp://127.0.0.1:9"; // connectors connect in the background; nothing need listen

    public static TheoryData<string> Components => new(Factories.Keys);

    private static readonly Dictionary<string, Func<IZeroBridgeComponent>> Factories = new()
    {
        ["server"] = () => new ZeroBridgeServer(new CommandRegistry(), ZeroBridgeServerOptions.Default with { Endpoint = Ephemeral }),
        ["client"] = () => new ZeroBridgeClient(Nobody),
        ["broker"] = () => new ZeroBridgeBroker(ZeroBridgeBrokerOptions.Default with { Endpoint = Ephemeral }),
        ["worker"] = () => new ZeroBridgeWorker(new CommandRegistry(), Nobody, "lifecycle"),
        ["publisher"] = () => new ZeroBridgePublisher(ZeroBridgePublisherOptions.Default with { Endpoint = Ephemeral }),
        ["subscriber"] = () => new ZeroBridgeSubscriber(Nobody, [""], ZeroBridgeSubscriberOptions.Default with { WaitForPublisher = false }),
        ["task producer"] = () => new ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions.Default with { Endpoint = Ephemeral }),
        ["task worker"] = () => new ZeroBridgeTaskWorker(new CommandRegistry(), Nobody),
    };

    [Theory]
    [MemberData(nameof(Components))]
    public async Task A_component_starts_once_and_stops_any_number_of_times(string name)
    {
        var component = Factories[name]();
        await component.StartAsync(CancellationToken.None).WaitAsync(Wait);
        if (component is not ZeroBridgeClient) // a client is running from its constructor; its start does nothing
            await Assert.ThrowsAsync<InvalidOperationException>(() => component.StartAsync(CancellationToken.None));

        await component.StopAsync(CancellationToken.None).WaitAsync(Wait);
        await component.StopAsync(CancellationToken.None).WaitAsync(Wait);
        await component.DisposeAsync().AsTask().WaitAsync(Wait);
        component.Dispose();
    }

    [Theory]
    [MemberData(nameof(Components))]
    public async Task A_component_that_never_started_stops_and_disposes_cleanly(string name)
    {
        var component = Factories[name]();
        await component.StopAsync(CancellationToken.None).WaitAsync(Wait);
        await component.DisposeAsync().AsTask().WaitAsync(Wait);
        if (component is not ZeroBridgeClient)
            await Assert.ThrowsAsync<InvalidOperationException>(() => component.StartAsync(CancellationToken.None)); // stopped for good
    }
}
