using ZeroBridge.Client;

namespace ZeroBridge.Tests.Client;

/// <summary>How the C# client reports transport failures: the same family as Python's TransportError.</summary>
public class ClientTransportTests
{
    [Theory]
    [InlineData("nonsense://where")]
    [InlineData("tcp://127.0.0.1")]
    [InlineData("tcp://127.0.0.1:notaport")]
    public void An_endpoint_that_cannot_be_connected_to_is_a_transport_exception(string endpoint)
    {
        var error = Assert.Throws<ZeroBridgeTransportException>(() => new ZeroBridgeClient(endpoint));
        Assert.Contains(endpoint, error.Message);
    }

    [Fact]
    public async Task No_server_at_the_endpoint_is_a_timeout_which_is_a_transport_exception()
    {
        using var client = new ZeroBridgeClient("tcp://127.0.0.1:9", ZeroBridgeClientOptions.Default with { Retries = 0 });
        await Assert.ThrowsAsync<ZeroBridgeTimeoutException>(() => client.PingAsync(TimeSpan.FromMilliseconds(200)));
        Assert.True(typeof(ZeroBridgeTransportException).IsAssignableFrom(typeof(ZeroBridgeTimeoutException)));
    }
}
