using Microsoft.Extensions.Hosting;

namespace ZeroBridge;

/// <summary>
/// A part of ZeroBridge that owns sockets and a thread: server, client, broker, worker, publisher, subscriber,
/// task producer and task worker. All share one lifecycle, the Generic Host's: <see cref="IHostedService.StartAsync"/>
/// binds or connects and starts the socket thread, <see cref="IHostedService.StopAsync"/> drains and closes, and
/// disposing stops. A host registers any of them the same way (<c>services.AddHostedService(sp => component)</c>).
/// </summary>
/// <remarks>
/// A component starts once. A start that fails (an endpoint in use) leaves it as new: start may be tried again,
/// and disposing it closes everything it made. Stopping a component that never started, or twice, does nothing.
/// </remarks>
public interface IZeroBridgeComponent : IHostedService, IAsyncDisposable, IDisposable
{
}
