using Microsoft.Extensions.Hosting;
using ZeroBridge.Server;

namespace ZeroBridge.Hosting;

/// <summary>Starts and stops a <see cref="ZeroBridgeServer"/> with the host.</summary>
public sealed class ZeroBridgeHostedService : IHostedService
{
    private readonly ZeroBridgeServer _server;

    /// <summary>Creates the hosted service for a server.</summary>
    public ZeroBridgeHostedService(ZeroBridgeServer server) => _server = server;

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _server.Start();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => _server.StopAsync(cancellationToken);
}
