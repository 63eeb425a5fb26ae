using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ZeroBridge.Commands;
using ZeroBridge.Majordomo;

namespace ZeroBridge.Hosting;

/// <summary>Adds a Majordomo broker or workers to a Generic Host, each started and stopped with the host.</summary>
public static class ZeroBridgeMajordomoServiceCollectionExtensions
{
    private const string BrokerKind = "Broker";
    private const string WorkerKind = "Worker";

    /// <summary>The key of a worker's section that names the broker to join.</summary>
    private const string BrokerEndpointKey = "BrokerEndpoint";

    /// <summary>
    /// Registers a <see cref="ZeroBridgeBroker"/> that runs with the host: bound when the host starts, stopped (after
    /// answering what it can) when it stops. Options come from <c>ZeroBridge:Broker</c> (or <c>ZeroBridge:Brokers:NAME</c>)
    /// with <c>CertificateFile</c> for its key pair, then <paramref name="configure"/>; they are checked when the host starts.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Adjusts the options after configuration.</param>
    /// <param name="name">A name for a second broker in the same host (a keyed service); empty for the default one.</param>
    /// <exception cref="InvalidOperationException">A broker of this name is already registered.</exception>
    public static IServiceCollection AddZeroBridgeBroker(this IServiceCollection services,
        Func<ZeroBridgeBrokerOptions, ZeroBridgeBrokerOptions>? configure = null, string name = "")
    {
        string section = ComponentRegistrations.Section(BrokerKind, name);
        ComponentRegistrations.Claim(services, BrokerKind, name);
        ComponentRegistrations.AddBoundOptions<ZeroBridgeBrokerOptions>(services, name, section, BrokerProblems);
        ComponentRegistrations.AddComponent(services, name, provider => new ZeroBridgeBroker(
            ComponentRegistrations.Effective(provider, name, section,
                (bound, config) => bound with { Certificate = SettingChecks.Certificate(config, bound.Certificate) },
                configure, BrokerProblems),
            provider.GetService<ILogger<ZeroBridgeBroker>>()));
        return services;
    }

    /// <summary>
    /// Registers a <see cref="ZeroBridgeWorker"/> that serves <paramref name="service"/> through a broker while the host
    /// runs, and on stop finishes its running commands and tells the broker it leaves. Its settings come from
    /// <c>ZeroBridge:Workers:SERVICE</c>: <c>BrokerEndpoint</c>, <c>ServerKeyFile</c> (the broker's public key),
    /// <c>CertificateFile</c>, and the properties of <see cref="ZeroBridgeWorkerOptions"/>. The worker is a keyed
    /// service under the service name.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="service">The MDP service name the worker registers.</param>
    /// <param name="registerCommands">Registers the commands; each request runs in a scope of its own.</param>
    /// <param name="configure">Adjusts the options after configuration.</param>
    /// <param name="brokerEndpoint">The broker's endpoint; when null, <c>ZeroBridge:Workers:SERVICE:BrokerEndpoint</c>.</param>
    /// <exception cref="InvalidOperationException">A worker for this service is already registered.</exception>
    public static IServiceCollection AddZeroBridgeWorker(this IServiceCollection services, string service,
        Action<IServiceProvider, CommandRegistry> registerCommands,
        Func<ZeroBridgeWorkerOptions, ZeroBridgeWorkerOptions>? configure = null, string? brokerEndpoint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        string section = $"{ComponentRegistrations.Root}:{WorkerKind}s:{service}";
        IEnumerable<string> Problems(ZeroBridgeWorkerOptions o, IConfigurationSection config) =>
            SettingChecks.Endpoint(config, BrokerEndpointKey, brokerEndpoint ?? config[BrokerEndpointKey])
                .Concat(WorkerProblems(o, config));
        ComponentRegistrations.Claim(services, WorkerKind, service);
        ComponentRegistrations.AddBoundOptions<ZeroBridgeWorkerOptions>(services, service, section, Problems);
        ComponentRegistrations.AddComponent(services, service, provider =>
        {
            var registry = new CommandRegistry(provider);
            registerCommands(provider, registry);
            var options = ComponentRegistrations.Effective(provider, service, section, (bound, config) => bound with
            {
                IncludeStackTraces = ComponentRegistrations.DetailedErrors(provider, config, bound.IncludeStackTraces),
                Certificate = SettingChecks.Certificate(config, bound.Certificate),
                ServerKey = SettingChecks.ServerKey(config, bound.ServerKey),
            }, configure, Problems);
            string endpoint = brokerEndpoint ?? ComponentRegistrations.Configuration(provider, section)[BrokerEndpointKey]!;
            return new ZeroBridgeWorker(registry, endpoint, service, options, provider.GetService<ILogger<ZeroBridgeWorker>>());
        });
        return services;
    }

    private static IEnumerable<string> BrokerProblems(ZeroBridgeBrokerOptions o, IConfigurationSection section) =>
        SettingChecks.Endpoint(section, nameof(o.Endpoint), o.Endpoint)
            .Concat(SettingChecks.Positive(section, nameof(o.HeartbeatInterval), o.HeartbeatInterval))
            .Concat(SettingChecks.AtLeast(section, nameof(o.HeartbeatLiveness), o.HeartbeatLiveness, 1))
            .Concat(SettingChecks.Limits(section, o.ConnectionLimits))
            .Concat(SettingChecks.Positive(section, nameof(o.RequestTimeout), o.RequestTimeout))
            .Concat(SettingChecks.AtLeast(section, nameof(o.MaxRetries), o.MaxRetries, 0))
            .Concat(SettingChecks.AtLeast(section, nameof(o.MaxQueuedPerService), o.MaxQueuedPerService, 1))
            .Concat(SettingChecks.AtLeast(section, nameof(o.MaxFrameBytes), o.MaxFrameBytes, 1))
            .Concat(SettingChecks.KeyFile(section, SettingChecks.CertificateFile, secret: true));

    private static IEnumerable<string> WorkerProblems(ZeroBridgeWorkerOptions o, IConfigurationSection section) =>
        SettingChecks.AtLeast(section, nameof(o.Concurrency), o.Concurrency, 1)
            .Concat(SettingChecks.Positive(section, nameof(o.HeartbeatInterval), o.HeartbeatInterval))
            .Concat(SettingChecks.AtLeast(section, nameof(o.HeartbeatLiveness), o.HeartbeatLiveness, 1))
            .Concat(SettingChecks.Positive(section, nameof(o.ReconnectDelay), o.ReconnectDelay))
            .Concat(SettingChecks.Positive(section, nameof(o.ShutdownTimeout), o.ShutdownTimeout))
            .Concat(SettingChecks.AtLeast(section, nameof(o.MaxFrameBytes), o.MaxFrameBytes, 1))
            .Concat(SettingChecks.KeyFile(section, SettingChecks.CertificateFile, secret: true))
            .Concat(SettingChecks.KeyFile(section, SettingChecks.ServerKeyFile, secret: false));
}
