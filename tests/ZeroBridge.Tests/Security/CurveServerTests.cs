using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Security;
using ZeroBridge.Server;

namespace ZeroBridge.Tests.Security;

/// <summary>The command server and the C# client over CurveZMQ, on real loopback sockets.</summary>
public class CurveServerTests
{
    private static readonly ZeroBridgeCertificate ServerKeys = ZeroBridgeCertificate.Generate();

    private static async Task<ZeroBridgeServer> StartServer(ZeroBridgeServerOptions? options = null)
    {
        var server = new ZeroBridgeServer(new CommandRegistry().Add("echo", (string text) => text),
            (options ?? ZeroBridgeServerOptions.Default) with
            {
                Endpoint = options?.Endpoint ?? "tcp://127.0.0.1:*",
                Certificate = options is null ? ServerKeys : options.Certificate,
                ShutdownTimeout = TimeSpan.FromSeconds(1),
            });
        await server.StartAsync();
        return server;
    }

    [Fact]
    public async Task A_client_given_the_server_key_calls_over_CURVE()
    {
        await using var server = await StartServer();
        using var client = new ZeroBridgeClient(server.Endpoint, ZeroBridgeClientOptions.Default with
        {
            ServerKey = ServerKeys.PublicKey,
            Certificate = ZeroBridgeCertificate.Generate(),
            Timeout = TimeSpan.FromSeconds(10),
        });

        Assert.Equal("secret payload", await client.CallAsync<string>("echo", new { text = "secret payload" }));
    }

    [Fact]
    public async Task A_wrong_server_key_fails_with_an_error_that_names_the_handshake()
    {
        await using var server = await StartServer();
        using var client = new ZeroBridgeClient(server.Endpoint, ZeroBridgeClientOptions.Default with
        {
            ServerKey = ZeroBridgeCertificate.Generate().PublicKey,
            Timeout = TimeSpan.FromSeconds(2),
        });

        var error = await Assert.ThrowsAsync<ZeroBridgeAuthenticationException>(() => client.CallAsync<string>("echo", new { text = "x" }));
        Assert.Contains("handshake", error.Message);
        Assert.Contains("ServerKey", error.Message);
    }

    [Fact]
    public async Task A_plain_text_client_gets_nothing_and_the_server_keeps_serving()
    {
        await using var server = await StartServer();
        using (var plain = new DealerSocket())
        {
            plain.Options.Linger = TimeSpan.Zero;
            plain.Connect(server.Endpoint);
            plain.SendMoreFrameEmpty().SendMoreFrame("MDPC01").SendMoreFrame("zerobridge").SendFrame("not even a header");
            var nothing = new NetMQMessage();
            Assert.False(plain.TryReceiveMultipartMessage(TimeSpan.FromSeconds(1), ref nothing)); // ZMTP refuses the NULL mechanism
        }

        using var client = new ZeroBridgeClient(server.Endpoint, ZeroBridgeClientOptions.Default with
        {
            ServerKey = ServerKeys.PublicKey,
            Timeout = TimeSpan.FromSeconds(10),
        });
        Assert.Equal("still here", await client.CallAsync<string>("echo", new { text = "still here" }));
    }

    [Fact]
    public async Task A_server_beyond_loopback_without_CURVE_refuses_to_start_and_says_how_to_set_up_keys()
    {
        await using var server = new ZeroBridgeServer(new CommandRegistry(),
            ZeroBridgeServerOptions.Default with { Endpoint = "tcp://0.0.0.0:*" });

        var error = (await Assert.ThrowsAsync<ZeroBridgeException>(() => server.StartAsync()));
        Assert.Contains("zbridge keygen", error.Message);
        Assert.Contains("--insecure", error.Message);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task A_server_beyond_loopback_starts_with_CURVE_or_when_told_it_is_insecure(bool curve, bool insecure)
    {
        await using var server = await StartServer(ZeroBridgeServerOptions.Default with
        {
            Endpoint = "tcp://0.0.0.0:*",
            Certificate = curve ? ServerKeys : null,
            Insecure = insecure,
        });

        Assert.StartsWith("tcp://0.0.0.0:", server.Endpoint);
    }
}
