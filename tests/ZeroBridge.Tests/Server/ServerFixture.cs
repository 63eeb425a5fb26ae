using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Server;

namespace ZeroBridge.Tests.Server;

/// <summary>A real server on an ephemeral loopback port, with a client, torn down after each test.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    public RunningServer(CommandRegistry commands, ZeroBridgeServerOptions? options = null)
    {
        Server = new ZeroBridgeServer(commands, (options ?? ZeroBridgeServerOptions.Default) with
        {
            Endpoint = "tcp://127.0.0.1:*",
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        });
        Server.StartAsync().GetAwaiter().GetResult(); // completes at once: the bind is synchronous
        Client = new ZeroBridgeClient(Server.Endpoint, ZeroBridgeClientOptions.Default with { Timeout = TimeSpan.FromSeconds(10) });
    }

    public ZeroBridgeServer Server { get; }

    public ZeroBridgeClient Client { get; }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
