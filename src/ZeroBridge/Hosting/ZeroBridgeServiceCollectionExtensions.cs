using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZeroBridge.Commands;
using ZeroBridge.Server;

namespace ZeroBridge.Hosting;

/// <summary>Adds a ZeroBridge server to a Generic Host (ASP.NET Core, worker services, console hosts).</summary>
public static class ZeroBridgeServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="CommandRegistry"/>, a <see cref="ZeroBridgeServer"/> serving it, and a hosted service that
    /// starts the server with the host and stops it (draining running commands) when the host stops.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="registerCommands">Registers the commands; receives the service provider to resolve the application's objects.</param>
    /// <param name="configure">Adjusts the options, e.g. <c>o =&gt; o with { Endpoint = "tcp://*:5555" }</c>. The options it
    /// receives carry stack traces to clients only when the host's environment is Development.</param>
    /// <example>
    /// <code>
    /// builder.Services.AddZeroBridge((sp, commands) => commands.AddObject("orders", sp.GetRequiredService&lt;OrderService&gt;()));
    /// </code>
    /// </example>
    public static IServiceCollection AddZeroBridge(this IServiceCollection services,
        Action<IServiceProvider, CommandRegistry> registerCommands,
        Func<ZeroBridgeServerOptions, ZeroBridgeServerOptions>? configure = null)
    {
        services.TryAddSingleton(provider =>
        {
            // With the provider: each request gets a scope of its own, and services are injectable as parameters.
            var registry = new CommandRegistry(provider);
            registerCommands(provider, registry);
            return registry;
        });
        // Stack traces reach clients only in Development unless the application says otherwise (gRPC's EnableDetailedErrors).
        services.TryAddSingleton(provider =>
        {
            var defaults = ZeroBridgeServerOptions.Default with
            {
                IncludeStackTraces = provider.GetService<IHostEnvironment>()?.IsDevelopment() ?? ZeroBridgeServerOptions.Default.IncludeStackTraces,
            };
            return configure?.Invoke(defaults) ?? defaults;
        });
        services.TryAddSingleton(provider => new ZeroBridgeServer(
            provider.GetRequiredService<CommandRegistry>(),
            provider.GetRequiredService<ZeroBridgeServerOptions>(),
            provider.GetService<ILogger<ZeroBridgeServer>>()));
        services.AddHostedService(provider => provider.GetRequiredService<ZeroBridgeServer>()); // a component is a hosted service
        return services;
    }

    /// <summary>Registers a ZeroBridge server whose commands need nothing from the service provider.</summary>
    public static IServiceCollection AddZeroBridge(this IServiceCollection services, Action<CommandRegistry> registerCommands,
        Func<ZeroBridgeServerOptions, ZeroBridgeServerOptions>? configure = null) =>
        services.AddZeroBridge((_, registry) => registerCommands(registry), configure);
}
