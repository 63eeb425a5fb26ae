using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using ZeroBridge.Streams;

namespace ZeroBridge.Hosting;

/// <summary>Adds ZeroBridge streams to a Generic Host.</summary>
public static class ZeroBridgeStreamsServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="ZeroBridgePublisher"/> singleton, started with the host and stopped with it. Inject it
    /// wherever the application has something to publish.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Adjusts the options, e.g. <c>o =&gt; o with { Endpoint = "tcp://*:5556" }</c>.</param>
    /// <example>
    /// <code>
    /// builder.Services.AddZeroBridgePublisher(o => o with { SnapshotEndpoint = "tcp://127.0.0.1:5557" });
    /// // later, in any service: publisher.Publish("orders.new", order);
    /// </code>
    /// </example>
    public static IServiceCollection AddZeroBridgePublisher(this IServiceCollection services,
        Func<ZeroBridgePublisherOptions, ZeroBridgePublisherOptions>? configure = null)
    {
        var options = configure?.Invoke(ZeroBridgePublisherOptions.Default) ?? ZeroBridgePublisherOptions.Default;
        services.TryAddSingleton(provider => new ZeroBridgePublisher(options, provider.GetService<ILogger<ZeroBridgePublisher>>()));
        services.AddHostedService(provider => provider.GetRequiredService<ZeroBridgePublisher>()); // a component is a hosted service
        return services;
    }
}
