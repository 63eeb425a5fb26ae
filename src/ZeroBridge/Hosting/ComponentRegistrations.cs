using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ZeroBridge.Hosting;

/// <summary>
/// How every <c>AddZeroBridge…</c> registration is made: options named after the component and bound from its
/// configuration section, checked when the host starts, and the component a singleton (keyed by its name unless it is
/// the default one) that the host starts and stops.
/// </summary>
internal static class ComponentRegistrations
{
    /// <summary>The configuration section every ZeroBridge setting lives under.</summary>
    public const string Root = "ZeroBridge";

    /// <summary>
    /// The section of one component: <c>ZeroBridge:Server</c> for the default server, <c>ZeroBridge:Servers:admin</c>
    /// for the one named "admin".
    /// </summary>
    public static string Section(string kind, string name) =>
        name.Length == 0 ? $"{Root}:{kind}" : $"{Root}:{kind}s:{name}";

    /// <summary>
    /// Registers <typeparamref name="TOptions"/> under <paramref name="name"/>, bound from <paramref name="section"/>
    /// (environment variables such as <c>ZeroBridge__Server__Endpoint</c> included), and validated on start with
    /// <paramref name="problems"/>, whose every line names the setting at fault.
    /// </summary>
    public static void AddBoundOptions<TOptions>(IServiceCollection services, string name, string section,
        Func<TOptions, IConfigurationSection, IEnumerable<string>> problems) where TOptions : class
    {
        services.AddOptions<TOptions>(name)
            .Configure<IServiceProvider>((options, provider) => provider.GetService<IConfiguration>()?.GetSection(section).Bind(options))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>>(provider =>
            new SectionValidator<TOptions>(name, Configuration(provider, section), problems));
    }

    /// <summary>The component's section, empty when the host has no configuration.</summary>
    public static IConfigurationSection Configuration(IServiceProvider provider, string section) =>
        (provider.GetService<IConfiguration>() ?? new ConfigurationBuilder().Build()).GetSection(section);

    /// <summary>
    /// The options a component is built with: the bound ones, with the host's defaults, then the code's
    /// <paramref name="configure"/>; checked again, since code may have changed them after the start-up check.
    /// </summary>
    public static TOptions Effective<TOptions>(IServiceProvider provider, string name, string section,
        Func<TOptions, IConfigurationSection, TOptions> fromHost, Func<TOptions, TOptions>? configure,
        Func<TOptions, IConfigurationSection, IEnumerable<string>> problems) where TOptions : class
    {
        var configuration = Configuration(provider, section);
        var options = fromHost(provider.GetRequiredService<IOptionsMonitor<TOptions>>().Get(name), configuration);
        options = configure?.Invoke(options) ?? options;
        var found = problems(options, configuration).ToList();
        if (found.Count > 0)
            throw new OptionsValidationException(name, typeof(TOptions), found);
        return options;
    }

    /// <summary>
    /// Registers a component built by <paramref name="create"/> under <paramref name="name"/>, and a hosted service
    /// that starts it with the host and stops it gracefully with it.
    /// </summary>
    /// <remarks>The caller has made its <see cref="Claim"/> on the name first.</remarks>
    public static void AddComponent<TComponent>(IServiceCollection services, string name,
        Func<IServiceProvider, TComponent> create, bool hosted = true) where TComponent : class, IZeroBridgeComponent
    {
        if (name.Length == 0)
            services.AddSingleton(create);
        else
            services.AddKeyedSingleton(name, (provider, _) => create(provider));
        if (hosted) // not AddHostedService: it keeps one service per type, and a host may have several servers
            services.AddSingleton<IHostedService>(provider => Resolve<TComponent>(provider, name));
    }

    /// <summary>Takes <paramref name="name"/> for a component of <paramref name="kind"/>; a second registration is a mistake.</summary>
    public static void Claim(IServiceCollection services, string kind, string name)
    {
        bool taken = services.Any(d => d.ServiceType == typeof(Claimed) && d.ImplementationInstance is Claimed c && c.Kind == kind && c.Name == name);
        if (taken)
            throw new InvalidOperationException(name.Length == 0
                ? $"A ZeroBridge {kind.ToLowerInvariant()} is already registered; give the other one a name (the overload taking a name)."
                : $"A ZeroBridge {kind.ToLowerInvariant()} named \"{name}\" is already registered.");
        services.AddSingleton(new Claimed(kind, name));
    }

    /// <summary>The component registered under <paramref name="name"/> ("" for the default, unkeyed one).</summary>
    public static TComponent Resolve<TComponent>(IServiceProvider provider, string name) where TComponent : notnull =>
        name.Length == 0 ? provider.GetRequiredService<TComponent>() : provider.GetRequiredKeyedService<TComponent>(name);

    /// <summary>Whether errors should carry stack traces by default: only in Development (gRPC's EnableDetailedErrors).</summary>
    /// <param name="provider">The host's services.</param>
    /// <param name="section">The component's section; a value set there wins.</param>
    /// <param name="bound">The value bound from configuration (or the options' default).</param>
    public static bool DetailedErrors(IServiceProvider provider, IConfigurationSection section, bool bound) =>
        section["IncludeStackTraces"] is not null ? bound
            : provider.GetService<IHostEnvironment>()?.IsDevelopment() ?? bound;

    /// <summary>A registration already made, so a second one with the same kind and name fails instead of being ignored.</summary>
    private sealed record Claimed(string Kind, string Name);

    /// <summary>Runs a component's checks on its named options, for <c>ValidateOnStart</c>.</summary>
    private sealed class SectionValidator<TOptions>(string name, IConfigurationSection section,
        Func<TOptions, IConfigurationSection, IEnumerable<string>> problems) : IValidateOptions<TOptions> where TOptions : class
    {
        public ValidateOptionsResult Validate(string? optionsName, TOptions options)
        {
            if ((optionsName ?? Options.DefaultName) != name)
                return ValidateOptionsResult.Skip;
            var found = problems(options, section).ToList();
            return found.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(found);
        }
    }
}
