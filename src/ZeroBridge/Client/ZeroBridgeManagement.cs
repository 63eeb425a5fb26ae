using System.Text;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Protocol;
using ZeroBridge.Transport;

namespace ZeroBridge.Client;

/// <summary>The answer of a Majordomo broker to a management (8/MMI) request.</summary>
/// <param name="Status">The broker's status code: <c>"200"</c> found, <c>"404"</c> not found, <c>"501"</c> not implemented.</param>
/// <param name="Json">The JSON frame that follows the status where the service has more to say, else null.</param>
public sealed record ManagementReply(string Status, string? Json);

/// <summary>
/// Management (8/MMI) requests to a Majordomo broker from .NET, as Python's <c>zerobridge.mmi</c> sends them
/// (docs/protocol.md §9.6): which services have workers, how busy they are, the broker's counters.
/// </summary>
/// <example>
/// <code>
/// var reply = await ZeroBridgeManagement.QueryAsync("tcp://broker:5555", "mmi.services");
/// // reply.Json: [{"service":"erp","workers":2,"idle":2,"busy":0,"queued":0}]
/// </code>
/// </example>
public static class ZeroBridgeManagement
{
    /// <summary>Sends one management request and waits for its answer.</summary>
    /// <param name="endpoint">The broker's endpoint.</param>
    /// <param name="service">The management service, e.g. <c>mmi.services</c> (<see cref="Protocol.Majordomo.Services"/>).</param>
    /// <param name="arguments">The request's body frames, e.g. a service name for <c>mmi.workers</c>.</param>
    /// <param name="options">The client settings used: <see cref="ZeroBridgeClientOptions.Timeout"/> and the CURVE keys.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The broker's answer, or null when the peer answered but not as a broker does (a ZeroBridge server, say).</returns>
    /// <exception cref="ZeroBridgeTimeoutException">Nothing answered within the timeout.</exception>
    public static Task<ManagementReply?> QueryAsync(string endpoint, string service, IEnumerable<string>? arguments = null,
        ZeroBridgeClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= ZeroBridgeClientOptions.Default;
        var body = arguments?.ToArray() ?? [];
        // One short-lived socket, used on one thread from start to end.
        return Task.Run(() => Query(endpoint, service, body, options, cancellationToken), cancellationToken);
    }

    private static ManagementReply? Query(string endpoint, string service, string[] body, ZeroBridgeClientOptions options,
        CancellationToken cancellationToken)
    {
        using var socket = new DealerSocket();
        socket.Options.Linger = TimeSpan.Zero;
        socket.Options.MaxMsgSize = 16 * 1024 * 1024; // answers are small JSON; the peer may not be a broker at all
        socket.UseCurveClient(options.ServerKey, options.Certificate?.ToNetMQ());
        socket.Connect(endpoint);
        var request = new NetMQMessage();
        request.AppendEmptyFrame();
        request.Append(WireConstants.ClientSignature);
        request.Append(service);
        foreach (var frame in body)
            request.Append(frame);
        socket.SendMultipartMessage(request);

        var deadline = DateTime.UtcNow + options.Timeout;
        var reply = new NetMQMessage();
        while (!socket.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(100), ref reply))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow >= deadline)
                throw new ZeroBridgeTimeoutException(
                    $"No reply from {endpoint} to '{service}' within {options.Timeout.TotalSeconds:0.###} s.");
        }
        // A broker answers: empty, MDPC01, service, status, [JSON]. Anything else is not a broker's answer.
        if (reply.FrameCount < 4 || reply[1].ConvertToString(Encoding.ASCII) != WireConstants.ClientSignature)
            return null;
        string status = reply[3].ConvertToString(Encoding.UTF8);
        if (status.Length != 3 || !status.All(char.IsAsciiDigit))
            return null;
        return new ManagementReply(status, reply.FrameCount > 4 ? reply[4].ConvertToString(Encoding.UTF8) : null);
    }
}
