using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ZeroBridge.Kernel.Hosting;

/// <summary>Runs an embedded <see cref="JupyterKernel"/> for the lifetime of the Generic Host.</summary>
/// <typeparam name="TGlobals">The type whose public members cells see.</typeparam>
public sealed class JupyterKernelHostedService<TGlobals>(TGlobals globals, JupyterKernelOptions options, ILogger<JupyterKernel>? logger = null)
    : IHostedService, IAsyncDisposable where TGlobals : class
{
    private JupyterKernel? _kernel;

    /// <summary>The running kernel (null before the host starts).</summary>
    public JupyterKernel? Kernel => _kernel;

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _kernel = JupyterKernel.Start(globals, options, logger);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _kernel, null) is { } kernel)
            await kernel.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => new(StopAsync(CancellationToken.None));
}
