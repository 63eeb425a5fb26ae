using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ZeroBridge.Commands;
using ZeroBridge.Server;

namespace ZeroBridge.Hosting;

/// <summary>Adds a ZeroBridge server to a Generic Host (ASP.NET Core, worker services, console hosts).</summary>
public static class ZeroBridgeServiceCollectionExtensions
{
    private const string Kind = "Server";

    /// <summary>
    /// Registers a <see cref="CommandRegistry"/>, a <see cref="ZeroBridgeServer"/> serving it, and a hosted service that
    /// starts the server with the host and stops it (draining running commands) when the host stops.
    /// </summary>
    /// <remarks>
    /// The options come from the configuration section <c>ZeroBridge:Server</c> (appsettings.json, environment
    /// variables such as <c>ZeroBridge__Server__Endpoint</c>, the command line), then <paramref name="configure"/>.
    /// Besides the properties of <see cref="ZeroBridgeServerOptions"/>, the section may name <c>CertificateFile</c>, the
    /// server's <c>NAME.key_secret</c>. They are checked when the host starts; a bad value stops the start with an
    /// <see cref="OptionsValidationException"/> naming the key. Stack traces reach clients only when the host's
    /// environment is Development, unless the section or <paramref name="configure"/> says otherwise.
    /// </remarks>
    /// <param name="services">The host's services.</param>
    /// <param name="registerCommands">Registers the commands; receives the service provider to resolve the application's objects.</param>
    /// <param name="configure">Adjusts the options after configuration, e.g. <c>o =&gt; o with { MaxConcurrency = 8 }</c>.</param>
    /// <exception cref="InvalidOperationException">A default server is already registered (name the second one).</exception>
    /// <example>
    /// <code>
    /// builder.Services.AddZeroBridge((sp, commands) => commands.AddObject("orders", sp.GetRequiredService&lt;OrderService&gt;()));
    /// // appsettings.json: { "ZeroBridge": { "Server": { "Endpoint": "tcp://*:5555", "CertificateFile": "keys/server.key_secret" } } }
    /// </code>
    /// </example>
    public static IServiceCollection AddZeroBridge(this IServiceCollection services,
        Action<IServiceProvider, CommandRegistry> registerCommands,
        Func<ZeroBridgeServerOptions, ZeroBridgeServerOptions>? configure = null) =>
        services.AddZeroBridge(Options.DefaultName, registerCommands, configure);

    /// <summary>
    /// Registers a server named <paramref name="name"/>, for a host that serves several (say a public one and an
    /// administrative one on another endpoint). Its options come from <c>ZeroBridge:Servers:NAME</c>; the server and its
    /// registry are keyed services (<c>[FromKeyedServices("admin")] ZeroBridgeServer admin</c>). Otherwise as
    /// <see cref="AddZeroBridge(IServiceCollection, Action{IServiceProvider, CommandRegistry}, Func{ZeroBridgeServerOptions, ZeroBridgeServerOptions}?)"/>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="name">The server's name; <see cref="Options.DefaultName"/> (empty) for the default server.</param>
    /// <param name="registerCommands">Registers the commands.</param>
    /// <param name="configure">Adjusts the options after configuration.</param>
    /// <exception cref="InvalidOperationException">A server of this name is already registered.</exception>
    public static IServiceCollection AddZeroBridge(this IServiceCollection services, string name,
        Action<IServiceProvider, CommandRegistry> registerCommands,
        Func<ZeroBridgeServerOptions, ZeroBridgeServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        string section = ComponentRegistrations.Section(Kind, name);
        ComponentRegistrations.Claim(services, Kind, name);
        ComponentRegistrations.AddBoundOptions<ZeroBridgeServerOptions>(services, name, section, Problems);

        CommandRegistry CreateRegistry(IServiceProvider provider)
        {
            // With the provider: each request gets a scope of its own, and services are injectable as parameters.
            var registry = new CommandRegistry(provider);
            registerCommands(provider, registry);
            return registry;
        }
        ZeroBridgeServer CreateServer(IServiceProvider provider) => new(
            ComponentRegistrations.Resolve<CommandRegistry>(provider, name),
            ComponentRegistrations.Effective(provider, name, section, (bound, config) => bound with
            {
                IncludeStackTraces = ComponentRegistrations.DetailedErrors(provider, config, bound.IncludeStackTraces),
                Certificate = SettingChecks.Certificate(config, bound.Certificate),
            }, configure, Problems),
            provider.GetService<ILogger<ZeroBridgeServer>>());

        if (name.Length == 0)
            services.AddSingleton(CreateRegistry);
        else
            services.AddKeyedSingleton(name, (provider, _) => CreateRegistry(provider));
        ComponentRegistrations.AddComponent(services, name, CreateServer);
        return services;
    }

    /// <summary>Registers a ZeroBridge server whose commands need nothing from the service provider.</summary>
    public static IServiceCollection AddZeroBridge(this IServiceCollection services, Action<CommandRegistry> registerCommands,
        Func<ZeroBridgeServerOptions, ZeroBridgeServerOptions>? configure = null) =>
        services.AddZeroBridge((_, registry) => registerCommands(registry), configure);

    /// <summary>
    /// Adds a filter that runs around every command of every ZeroBridge server, worker and task worker of the host,
    /// resolved from each request's scope (so it may depend on scoped services). See <see cref="ICommandFilter"/>.
    /// </summary>
    /// <typeparam name="TFilter">The filter; registered scoped, once however often this is called.</typeparam>
    public static IServiceCollection AddZeroBridgeFilter<TFilter>(this IServiceCollection services) where TFilter : class, ICommandFilter
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ICommandFilter, TFilter>());
        return services;
    }

    private static IEnumerable<string> Problems(ZeroBridgeServerOptions o, IConfigurationSection section) =>
        SettingChecks.Endpoint(section, nameof(o.Endpoint), o.Endpoint)
            .Concat(SettingChecks.AtLeast(section, nameof(o.MaxConcurrency), o.MaxConcurrency, 1))
            .Concat(SettingChecks.AtLeast(section, nameof(o.MaxRequestBytes), o.MaxRequestBytes, 1))
            .Concat(SettingChecks.AtLeast(section, nameof(o.TableChunkBytes), o.TableChunkBytes, 1))
            .Concat(SettingChecks.AtLeast(section, nameof(o.MaxOpenTableCursors), o.MaxOpenTableCursors, 1))
            .Concat(SettingChecks.Positive(section, nameof(o.ShutdownTimeout), o.ShutdownTimeout))
            .Concat(SettingChecks.Positive(section, nameof(o.TableCursorIdleTimeout), o.TableCursorIdleTimeout))
            .Concat(SettingChecks.Limits(section, o.ConnectionLimits))
            .Concat(SettingChecks.KeyFile(section, SettingChecks.CertificateFile, secret: true));
}
