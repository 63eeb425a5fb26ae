using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZeroBridge.Commands;
using ZeroBridge.Tasks;

namespace ZeroBridge.Hosting;

/// <summary>Adds a task worker (credit-based task pools) to a Generic Host.</summary>
public static class ZeroBridgeTasksServiceCollectionExtensions
{
    private const string Kind = "TaskWorker";

    /// <summary>
    /// Registers a <see cref="ZeroBridgeTaskWorker"/> that takes tasks from a producer while the host runs; on stop it
    /// lets running tasks answer for <see cref="ZeroBridgeTaskWorkerOptions.ShutdownTimeout"/> and says goodbye, so the
    /// producer re-sends the rest at once. Settings come from <c>ZeroBridge:TaskWorker</c> (or
    /// <c>ZeroBridge:TaskWorkers:NAME</c>): <c>Endpoint</c>, the producer's, and the properties of
    /// <see cref="ZeroBridgeTaskWorkerOptions"/>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="registerCommands">Registers the commands tasks may name; each task runs in a scope of its own.</param>
    /// <param name="configure">Adjusts the options after configuration.</param>
    /// <param name="endpoint">The producer's endpoint; when null, the section's <c>Endpoint</c>.</param>
    /// <param name="name">A name for a second task worker in the same host (a keyed service); empty for the default one.</param>
    /// <exception cref="InvalidOperationException">A task worker of this name is already registered.</exception>
    public static IServiceCollection AddZeroBridgeTaskWorker(this IServiceCollection services,
        Action<IServiceProvider, CommandRegistry> registerCommands,
        Func<ZeroBridgeTaskWorkerOptions, ZeroBridgeTaskWorkerOptions>? configure = null, string? endpoint = null, string name = "")
    {
        string section = ComponentRegistrations.Section(Kind, name);
        IEnumerable<string> Problems(ZeroBridgeTaskWorkerOptions o, IConfigurationSection config) =>
            SettingChecks.Endpoint(config, "Endpoint", endpoint ?? config["Endpoint"])
                .Concat(SettingChecks.AtLeast(config, nameof(o.Concurrency), o.Concurrency, 1))
                .Concat(SettingChecks.Positive(config, nameof(o.HeartbeatInterval), o.HeartbeatInterval))
                .Concat(SettingChecks.Positive(config, nameof(o.ShutdownTimeout), o.ShutdownTimeout))
                .Concat(SettingChecks.AtLeast(config, nameof(o.MaxTaskBytes), o.MaxTaskBytes, 1));
        ComponentRegistrations.Claim(services, Kind, name);
        ComponentRegistrations.AddBoundOptions<ZeroBridgeTaskWorkerOptions>(services, name, section, Problems);
        ComponentRegistrations.AddComponent(services, name, provider =>
        {
            var registry = new CommandRegistry(provider);
            registerCommands(provider, registry);
            var options = ComponentRegistrations.Effective(provider, name, section, (bound, config) => bound with
            {
                IncludeStackTraces = ComponentRegistrations.DetailedErrors(provider, config, bound.IncludeStackTraces),
            }, configure, Problems);
            string producer = endpoint ?? ComponentRegistrations.Configuration(provider, section)["Endpoint"]!;
            return new ZeroBridgeTaskWorker(registry, producer, options, provider.GetService<ILogger<ZeroBridgeTaskWorker>>());
        });
        return services;
    }
}
