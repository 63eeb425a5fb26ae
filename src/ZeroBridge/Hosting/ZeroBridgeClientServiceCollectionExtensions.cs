using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ZeroBridge.Client;

namespace ZeroBridge.Hosting;

/// <summary>Registers <see cref="ZeroBridgeClient"/>s for .NET callers, as <c>AddHttpClient</c> and <c>AddGrpcClient</c> do.</summary>
public static class ZeroBridgeClientServiceCollectionExtensions
{
    private const string Kind = "Client";
    private const string EndpointKey = "Endpoint";

    /// <summary>
    /// Registers a <see cref="ZeroBridgeClient"/> singleton (keyed by <paramref name="name"/> unless it is empty),
    /// connected on first use and closed when the host is disposed. Settings come from <c>ZeroBridge:Client</c> (or
    /// <c>ZeroBridge:Clients:NAME</c>): <c>Endpoint</c>, <c>ServerKeyFile</c>, <c>CertificateFile</c> and the
    /// properties of <see cref="ZeroBridgeClientOptions"/> (<c>Timeout</c>, <c>Service</c>, <c>Retries</c>), then
    /// <paramref name="configure"/>; they are checked when the host starts.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="name">The client's name; empty for the default, unkeyed one.</param>
    /// <param name="configure">Adjusts the options after configuration.</param>
    /// <param name="endpoint">The endpoint to call; when null, the section's <c>Endpoint</c>.</param>
    /// <exception cref="InvalidOperationException">A client of this name is already registered.</exception>
    /// <example>
    /// <code>
    /// builder.Services.AddZeroBridgeClient("erp");          // ZeroBridge:Clients:erp:Endpoint in appsettings.json
    /// // then: public Reports([FromKeyedServices("erp")] ZeroBridgeClient erp) { ... }
    /// </code>
    /// </example>
    public static IServiceCollection AddZeroBridgeClient(this IServiceCollection services, string name = "",
        Func<ZeroBridgeClientOptions, ZeroBridgeClientOptions>? configure = null, string? endpoint = null)
    {
        string section = ComponentRegistrations.Section(Kind, name);
        IEnumerable<string> Problems(ZeroBridgeClientOptions o, IConfigurationSection config) =>
            SettingChecks.Endpoint(config, EndpointKey, endpoint ?? config[EndpointKey])
                .Concat(SettingChecks.Positive(config, nameof(o.Timeout), o.Timeout))
                .Concat(SettingChecks.AtLeast(config, nameof(o.Retries), o.Retries, 0))
                .Concat(SettingChecks.KeyFile(config, SettingChecks.CertificateFile, secret: true))
                .Concat(SettingChecks.KeyFile(config, SettingChecks.ServerKeyFile, secret: false));
        ComponentRegistrations.Claim(services, Kind, name);
        ComponentRegistrations.AddBoundOptions<ZeroBridgeClientOptions>(services, name, section, Problems);
        ComponentRegistrations.AddComponent(services, name, provider =>
        {
            var options = ComponentRegistrations.Effective(provider, name, section, (bound, config) => bound with
            {
                Certificate = SettingChecks.Certificate(config, bound.Certificate),
                ServerKey = SettingChecks.ServerKey(config, bound.ServerKey),
            }, configure, Problems);
            return new ZeroBridgeClient(endpoint ?? ComponentRegistrations.Configuration(provider, section)[EndpointKey]!, options);
        }, hosted: false);
        return services;
    }

    /// <summary>
    /// Registers a typed client: <typeparamref name="TClient"/> (transient) receives a <see cref="ZeroBridgeClient"/>
    /// named after it (its settings under <c>ZeroBridge:Clients:TYPENAME</c>) in its constructor, beside any other
    /// service, as with <c>AddHttpClient&lt;TClient&gt;()</c>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Adjusts the client's options after configuration.</param>
    /// <param name="endpoint">The endpoint to call; when null, the section's <c>Endpoint</c>.</param>
    /// <example>
    /// <code>
    /// sealed class Erp(ZeroBridgeClient bridge) { public Task&lt;int?&gt; CountAsync() => bridge.CallAsync&lt;int?&gt;("orders.count"); }
    /// builder.Services.AddZeroBridgeClient&lt;Erp&gt;(endpoint: "tcp://erp:5555");
    /// </code>
    /// </example>
    public static IServiceCollection AddZeroBridgeClient<TClient>(this IServiceCollection services,
        Func<ZeroBridgeClientOptions, ZeroBridgeClientOptions>? configure = null, string? endpoint = null) where TClient : class
    {
        string name = typeof(TClient).Name;
        services.AddZeroBridgeClient(name, configure, endpoint);
        services.AddTransient(provider => ActivatorUtilities.CreateInstance<TClient>(provider,
            provider.GetRequiredKeyedService<ZeroBridgeClient>(name)));
        return services;
    }
}
