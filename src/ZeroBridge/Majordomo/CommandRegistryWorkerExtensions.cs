using Microsoft.Extensions.Logging;
using ZeroBridge.Commands;

namespace ZeroBridge.Majordomo;

/// <summary>Joins a command registry to a Majordomo broker in one call.</summary>
public static class CommandRegistryWorkerExtensions
{
    /// <summary>
    /// Serves this registry's commands as <paramref name="service"/> through the broker at <paramref name="brokerEndpoint"/>,
    /// and returns the running worker (dispose it to leave). Clients call the commands exactly as they would directly,
    /// naming the service. Call again to offer another service from the same process.
    /// </summary>
    /// <example>
    /// <code>
    /// await using var worker = commands.JoinBroker("tcp://broker:5555", "erp");
    /// </code>
    /// </example>
    public static ZeroBridgeWorker JoinBroker(this CommandRegistry commands, string brokerEndpoint, string service,
        ZeroBridgeWorkerOptions? options = null, ILogger<ZeroBridgeWorker>? logger = null)
    {
        var worker = new ZeroBridgeWorker(commands, brokerEndpoint, service, options, logger);
        worker.StartAsync().GetAwaiter().GetResult(); // completes at once: ZeroMQ connects in the background
        return worker;
    }
}
