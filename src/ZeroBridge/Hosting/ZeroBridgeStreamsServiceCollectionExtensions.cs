using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZeroBridge.Streams;

namespace ZeroBridge.Hosting;

/// <summary>Adds ZeroBridge streams to a Generic Host.</summary>
public static class ZeroBridgeStreamsServiceCollectionExtensions
{
    private const string Kind = "Publisher";

    /// <summary>
    /// Registers a <see cref="ZeroBridgePublisher"/> singleton, started with the host and stopped with it. Inject it
    /// wherever the application has something to publish. Options come from <c>ZeroBridge:Publisher</c> (or
    /// <c>ZeroBridge:Publishers:NAME</c>), then <paramref name="configure"/>; they are checked when the host starts.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Adjusts the options, e.g. <c>o =&gt; o with { Endpoint = "tcp://*:5556" }</c>.</param>
    /// <param name="name">A name for a second publisher in the same host (a keyed service); empty for the default one.</param>
    /// <exception cref="InvalidOperationException">A publisher of this name is already registered.</exception>
    /// <example>
    /// <code>
    /// builder.Services.AddZeroBridgePublisher(o => o with { SnapshotEndpoint = "tcp://127.0.0.1:5557" });
    /// // later, in any service: publisher.Publish("orders.new", order);
    /// </code>
    /// </example>
    public static IServiceCollection AddZeroBridgePublisher(this IServiceCollection services,
        Func<ZeroBridgePublisherOptions, ZeroBridgePublisherOptions>? configure = null, string name = "")
    {
        string section = ComponentRegistrations.Section(Kind, name);
        ComponentRegistrations.Claim(services, Kind, name);
        ComponentRegistrations.AddBoundOptions<ZeroBridgePublisherOptions>(services, name, section, Problems);
        ComponentRegistrations.AddComponent(services, name, provider => new ZeroBridgePublisher(
            ComponentRegistrations.Effective<ZeroBridgePublisherOptions>(provider, name, section, (bound, _) => bound, configure, Problems),
            provider.GetService<ILogger<ZeroBridgePublisher>>()));
        return services;
    }

    private static IEnumerable<string> Problems(ZeroBridgePublisherOptions o, IConfigurationSection section) =>
        SettingChecks.Endpoint(section, nameof(o.Endpoint), o.Endpoint)
            .Concat(o.SnapshotEndpoint is null ? [] : SettingChecks.Endpoint(section, nameof(o.SnapshotEndpoint), o.SnapshotEndpoint))
            .Concat(SettingChecks.Positive(section, nameof(o.HeartbeatInterval), o.HeartbeatInterval))
            .Concat(SettingChecks.Limits(section, o.ConnectionLimits))
            .Concat(SettingChecks.AtLeast(section, nameof(o.SendHighWatermark), o.SendHighWatermark, 0))
            .Concat(SettingChecks.AtLeast(section, nameof(o.MaxSnapshotRequestBytes), o.MaxSnapshotRequestBytes, 1));
}
