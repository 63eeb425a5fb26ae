using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ZeroBridge.Majordomo;
using ZeroBridge.Server;
using ZeroBridge.Tasks;

namespace ZeroBridge.Hosting;

/// <summary>
/// Health checks for the ZeroBridge components of a host, for <c>builder.Services.AddHealthChecks()</c> (and so for
/// ASP.NET Core's <c>MapHealthChecks</c>, Kubernetes probes, or a publisher).
/// </summary>
public static class ZeroBridgeHealthChecks
{
    /// <summary>
    /// Adds a check that the server registered under <paramref name="name"/> is bound and serving: healthy while it
    /// runs (with its endpoint and requests in flight as data), unhealthy before it starts and once it stops.
    /// </summary>
    /// <param name="builder">The host's health checks.</param>
    /// <param name="name">The server's name given to <c>AddZeroBridge</c>; empty for the default server.</param>
    /// <param name="tags">Tags to filter checks by (e.g. "ready").</param>
    public static IHealthChecksBuilder AddZeroBridgeServer(this IHealthChecksBuilder builder, string name = "",
        IEnumerable<string>? tags = null) =>
        builder.Add(new HealthCheckRegistration(name.Length == 0 ? "zerobridge-server" : $"zerobridge-server-{name}",
            provider => new ServerHealthCheck(ComponentRegistrations.Resolve<ZeroBridgeServer>(provider, name)),
            HealthStatus.Unhealthy, tags));

    /// <summary>
    /// Adds a check of the broker registered under <paramref name="name"/>: unhealthy unless it runs; degraded while
    /// one of <paramref name="services"/> (or, when none are named, every service) has no worker; healthy otherwise.
    /// Its data lists the workers and queued requests of each service.
    /// </summary>
    /// <param name="builder">The host's health checks.</param>
    /// <param name="services">The services that must have a worker; none to require at least one worker of any service.</param>
    /// <param name="name">The broker's name given to <c>AddZeroBridgeBroker</c>; empty for the default broker.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    public static IHealthChecksBuilder AddZeroBridgeBroker(this IHealthChecksBuilder builder, IEnumerable<string>? services = null,
        string name = "", IEnumerable<string>? tags = null)
    {
        var required = services?.ToArray() ?? [];
        return builder.Add(new HealthCheckRegistration(name.Length == 0 ? "zerobridge-broker" : $"zerobridge-broker-{name}",
            provider => new BrokerHealthCheck(ComponentRegistrations.Resolve<ZeroBridgeBroker>(provider, name), required),
            HealthStatus.Unhealthy, tags));
    }

    /// <summary>
    /// Adds a check of the MDP worker registered for <paramref name="service"/> (<c>AddZeroBridgeWorker</c>): healthy
    /// while every connection is registered with the broker and heard from within the heartbeat liveness window
    /// (<see cref="ZeroBridgeWorkerOptions.HeartbeatInterval"/> × <see cref="ZeroBridgeWorkerOptions.HeartbeatLiveness"/>),
    /// degraded while only some are, unhealthy when none is (the broker is away or refuses the worker) and while
    /// the worker is not running. Its data has the broker endpoint, the connection counts and how long ago the broker
    /// was last heard.
    /// </summary>
    /// <param name="builder">The host's health checks.</param>
    /// <param name="service">The service name given to <c>AddZeroBridgeWorker</c>.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    public static IHealthChecksBuilder AddZeroBridgeWorker(this IHealthChecksBuilder builder, string service,
        IEnumerable<string>? tags = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        return builder.Add(new HealthCheckRegistration($"zerobridge-worker-{service}",
            provider => new WorkerHealthCheck(ComponentRegistrations.Resolve<ZeroBridgeWorker>(provider, service)),
            HealthStatus.Unhealthy, tags));
    }

    /// <summary>
    /// Adds a check of the task worker registered under <paramref name="name"/> (<c>AddZeroBridgeTaskWorker</c>):
    /// healthy while its producer is heard within <see cref="TaskWorkerStatus.MissedHeartbeats"/> of the heartbeat
    /// interval the producer announces; degraded before the producer was ever heard (it may still be starting);
    /// unhealthy while the worker is not running, once the producer went silent, and while the producer refuses the
    /// worker (its key is not on the producer's allow-list, or it has no certificate). Its data has the producer
    /// endpoint, tasks running and how long ago the producer was last heard.
    /// </summary>
    /// <param name="builder">The host's health checks.</param>
    /// <param name="name">The task worker's name given to <c>AddZeroBridgeTaskWorker</c>; empty for the default one.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    public static IHealthChecksBuilder AddZeroBridgeTaskWorker(this IHealthChecksBuilder builder, string name = "",
        IEnumerable<string>? tags = null) =>
        builder.Add(new HealthCheckRegistration(name.Length == 0 ? "zerobridge-task-worker" : $"zerobridge-task-worker-{name}",
            provider => new TaskWorkerHealthCheck(ComponentRegistrations.Resolve<ZeroBridgeTaskWorker>(provider, name)),
            HealthStatus.Unhealthy, tags));

    private sealed class ServerHealthCheck(ZeroBridgeServer server) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var data = new Dictionary<string, object> { ["endpoint"] = server.Endpoint, ["requests_in_flight"] = server.RequestsInFlight };
            return Task.FromResult(server.IsRunning
                ? HealthCheckResult.Healthy($"Serving on {server.Endpoint}", data)
                : new HealthCheckResult(context.Registration.FailureStatus, "The ZeroBridge server is not running (not started yet, or stopped).", data: data));
        }
    }

    private sealed class BrokerHealthCheck(ZeroBridgeBroker broker, IReadOnlyList<string> required) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (!broker.IsRunning)
                return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus,
                    "The ZeroBridge broker is not running (not started yet, or stopped)."));
            var status = broker.Status;
            var data = status.Services.ToDictionary(s => s.Name, s => (object)new { s.Workers, s.Idle, s.Busy, s.Queued });
            var missing = required.Count > 0
                ? required.Where(s => (status.Service(s)?.Workers ?? 0) == 0).ToList()
                : status.Services.Sum(s => s.Workers) == 0 ? ["any service"] : [];
            return Task.FromResult(missing.Count == 0
                ? HealthCheckResult.Healthy($"Routing on {broker.Endpoint}; {status.Services.Sum(s => s.Workers)} worker(s)", data)
                : HealthCheckResult.Degraded($"No worker for {string.Join(", ", missing)}", data: data));
        }
    }

    private sealed class TaskWorkerHealthCheck(ZeroBridgeTaskWorker worker) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var status = worker.Status;
            var data = new Dictionary<string, object>
            {
                ["producer"] = worker.Endpoint,
                ["name"] = worker.Name,
                ["running"] = status.Running,
                ["concurrency"] = status.Concurrency,
                ["completed"] = worker.Completed,
            };
            if (status.SinceHeard is { } since)
                data["last_heard_ms"] = (long)since.TotalMilliseconds;
            HealthCheckResult result =
                !status.IsRunning ? new(context.Registration.FailureStatus, "The ZeroBridge task worker is not running (not started yet, or stopped).", data: data)
                : status.Refusal is { } refusal ? new(context.Registration.FailureStatus, $"No tasks from the producer at {worker.Endpoint}: {refusal}", data: data)
                : status.SinceHeard is null ? HealthCheckResult.Degraded($"Not heard from the producer at {worker.Endpoint} yet", data: data)
                : status.ProducerAlive ? HealthCheckResult.Healthy($"Taking tasks from the producer at {worker.Endpoint}", data)
                : new(context.Registration.FailureStatus,
                    $"The producer at {worker.Endpoint} went silent: last heard {status.SinceHeard.Value.TotalSeconds:0.#} s ago " +
                    $"(heartbeats expected within {status.Liveness!.Value.TotalSeconds:0.###} s)", data: data);
            return Task.FromResult(result);
        }
    }

    private sealed class WorkerHealthCheck(ZeroBridgeWorker worker) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var status = worker.Status;
            var data = new Dictionary<string, object>
            {
                ["broker"] = worker.BrokerEndpoint,
                ["service"] = worker.Service,
                ["connections"] = status.Connections,
                ["connected"] = status.Connected,
                ["requests_in_flight"] = worker.RequestsInFlight,
            };
            if (status.SinceHeard is { } since)
                data["last_heard_ms"] = (long)since.TotalMilliseconds;
            string heard = status.SinceHeard is { } ago ? $"last heard {ago.TotalSeconds:0.#} s ago" : "never heard from";
            HealthCheckResult result =
                !status.IsRunning ? new(context.Registration.FailureStatus, "The ZeroBridge worker is not running (not started yet, or stopped).", data: data)
                : status.Connected == status.Connections
                    ? HealthCheckResult.Healthy($"Serving '{worker.Service}' for the broker at {worker.BrokerEndpoint}", data)
                : status.Connected > 0
                    ? HealthCheckResult.Degraded($"{status.Connected} of {status.Connections} connection(s) to the broker at {worker.BrokerEndpoint} are live; {heard}", data: data)
                : new(context.Registration.FailureStatus,
                    $"Not connected to the broker at {worker.BrokerEndpoint}: {heard} (heartbeats expected within {status.Liveness.TotalSeconds:0.###} s)", data: data);
            return Task.FromResult(result);
        }
    }
}
