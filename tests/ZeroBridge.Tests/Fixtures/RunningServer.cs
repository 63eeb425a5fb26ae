using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Server;

namespace ZeroBridge.Tests.Fixtures;

/// <summary>
/// A real server on an ephemeral loopback port with a client connected to it, torn down together: the set-up every
/// test that calls a server through the C# client shares.
/// </summary>
internal sealed class RunningServer : IAsyncDisposable
{
    /// <summary>How long a client call waits unless the test says otherwise.</summary>
    public static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Starts a server with <paramref name="commands"/>; its endpoint is always an ephemeral loopback one.</summary>
    public RunningServer(CommandRegistry commands, ZeroBridgeServerOptions? options = null, ZeroBridgeClientOptions? clientOptions = null)
    {
        Server = new ZeroBridgeServer(commands, (options ?? ZeroBridgeServerOptions.Default) with
        {
            Endpoint = "tcp://127.0.0.1:*",
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        });
        Server.StartAsync().GetAwaiter().GetResult(); // completes at once: the bind is synchronous
        Client = new ZeroBridgeClient(Server.Endpoint, clientOptions ?? ZeroBridgeClientOptions.Default with { Timeout = ClientTimeout });
    }

    /// <summary>The running server.</summary>
    public ZeroBridgeServer Server { get; }

    /// <summary>A client connected to <see cref="Server"/>.</summary>
    public ZeroBridgeClient Client { get; }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
