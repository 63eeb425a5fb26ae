using System.Text.Json;
using ZeroBridge.Protocol;
using static ZeroBridge.Protocol.Majordomo;

namespace ZeroBridge.Majordomo;

/// <summary>
/// The broker's answers to 8/MMI management requests (<c>mmi.service</c>, <c>mmi.services</c>, <c>mmi.workers</c>,
/// <c>mmi.broker</c>, <c>mmi.idempotent</c>; docs/protocol.md §9.4): a status frame, then JSON where there is more to say.
/// </summary>
internal static class BrokerManagement
{
    /// <summary>What the broker is and how it is set, for <c>mmi.broker</c>.</summary>
    public sealed record BrokerFacts(string Endpoint, DateTime Started, ZeroBridgeBrokerOptions Options);

    /// <summary>The reply frames (after the signature and service) to a management request.</summary>
    /// <param name="service">The <c>mmi.</c> service asked for.</param>
    /// <param name="body">The request's body frames, as text.</param>
    /// <param name="requester">The sender's identity (hex): a worker declaring its idempotent commands.</param>
    /// <param name="book">What the broker knows of services and workers.</param>
    /// <param name="facts">The broker's endpoint, start time and options, for <c>mmi.status</c>.</param>
    /// <param name="now">The time the answer is for.</param>
    public static string[] Answer(string service, IReadOnlyList<string> body, string requester, BrokerBookkeeping book,
        BrokerFacts facts, DateTime now)
    {
        string? first = body.Count > 0 ? body[0] : null;
        switch (service)
        {
            case Services.Service:
                return [first is not null && book.Services.TryGetValue(first, out var found) && found.Workers.Count > 0
                    ? Status.Ok : Status.NotFound];
            case Services.ServiceList:
                return [Status.Ok, JsonSerializer.Serialize(book.Status().Services.Select(ServiceJson))];
            case Services.Workers:
                return first is not null && book.Services.TryGetValue(first, out var entry)
                    ? [Status.Ok, JsonSerializer.Serialize(WorkersJson(entry, now))]
                    : [Status.NotFound];
            case Services.Broker:
                return [Status.Ok, JsonSerializer.Serialize(BrokerJson(book, facts, now))];
            case Services.Idempotent:
                // Only a registered worker can declare its commands.
                return [book.DeclareIdempotent(requester, body) ? Status.Ok : Status.NotFound];
            default:
                return [Status.NotImplemented];
        }
    }

    private static Dictionary<string, object?> ServiceJson(ServiceStatus s) => new()
    {
        ["service"] = s.Name, ["workers"] = s.Workers, ["idle"] = s.Idle, ["busy"] = s.Busy, ["queued"] = s.Queued,
    };

    private static Dictionary<string, object?> WorkersJson(BrokerService service, DateTime now) => new()
    {
        ["service"] = service.Name,
        ["queued"] = service.Queue.Count,
        ["workers"] = service.Workers.Select(w => new Dictionary<string, object?>
        {
            ["id"] = w.Key,
            ["busy"] = w.Current is not null,
            ["command"] = w.Current?.Command,
            ["served"] = w.Served,
            ["expires_in_ms"] = (long)(w.Expiry - now).TotalMilliseconds,
            ["idempotent"] = w.IdempotentCommands.Order(StringComparer.Ordinal).ToList(),
        }).ToList(),
    };

    private static Dictionary<string, object?> BrokerJson(BrokerBookkeeping book, BrokerFacts facts, DateTime now)
    {
        var counters = book.Status().Counters;
        return new Dictionary<string, object?>
        {
            ["endpoint"] = facts.Endpoint,
            ["uptime_seconds"] = Math.Round((now - facts.Started).TotalSeconds, 3),
            ["heartbeat_interval_ms"] = (long)facts.Options.HeartbeatInterval.TotalMilliseconds,
            ["heartbeat_liveness"] = facts.Options.HeartbeatLiveness,
            ["request_timeout_ms"] = (long)facts.Options.RequestTimeout.TotalMilliseconds,
            ["services"] = book.Services.Count,
            ["workers"] = book.Workers.Count,
            ["requests"] = counters.Requests,
            ["replies"] = counters.Replies,
            ["unavailable"] = counters.Unavailable,
            ["workers_lost"] = counters.WorkersLost,
            ["retries"] = counters.Retries,
            ["requests_lost"] = counters.RequestsLost,
        };
    }
}
