using Microsoft.Extensions.Hosting;
using ZeroBridge.Streams;

namespace ZeroBridge.Hosting;

/// <summary>Starts and stops a <see cref="ZeroBridgePublisher"/> with the host.</summary>
public sealed class ZeroBridgePublisherHostedService : IHostedService
{
    private readonly ZeroBridgePublisher _publisher;

    /// <summary>Creates the hosted service for a publisher.</summary>
    public ZeroBridgePublisherHostedService(ZeroBridgePublisher publisher) => _publisher = publisher;

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _publisher.Start();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => _publisher.StopAsync(cancellationToken);
}
