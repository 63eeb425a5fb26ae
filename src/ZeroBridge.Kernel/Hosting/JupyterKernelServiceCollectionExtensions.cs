using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ZeroBridge.Kernel.Hosting;

/// <summary>Registers an embedded Jupyter kernel on the Generic Host.</summary>
public static class JupyterKernelServiceCollectionExtensions
{
    /// <summary>
    /// Starts a Jupyter kernel inside the application when the host starts (and stops it with the host): cells run
    /// against the object <paramref name="globals"/> returns, and <c>jupyter console --existing</c> attaches through
    /// the connection file it writes to Jupyter's runtime directory. A front-end's shutdown request never stops the
    /// application (<see cref="JupyterKernelOptions.StopOnShutdownRequest"/> is set false).
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="globals">Builds the globals object from the application's services.</param>
    /// <param name="configure">Changes the options; by default the kernel binds free loopback ports.</param>
    public static IServiceCollection AddJupyterKernel<TGlobals>(this IServiceCollection services, Func<IServiceProvider, TGlobals> globals,
        Func<JupyterKernelOptions, JupyterKernelOptions>? configure = null) where TGlobals : class
    {
        var options = (configure ?? (o => o))(JupyterKernelOptions.Default with { StopOnShutdownRequest = false });
        services.AddSingleton(provider => new JupyterKernelHostedService<TGlobals>(globals(provider), options,
            provider.GetService<ILogger<JupyterKernel>>()));
        services.AddHostedService(provider => provider.GetRequiredService<JupyterKernelHostedService<TGlobals>>());
        return services;
    }
}
