using System.Text;
using MessagePack;
using Microsoft.Extensions.Logging;
using NetMQ;
using ZeroBridge.Commands;
using ZeroBridge.Protocol;
using ZeroBridge.Serialization;
using ZeroBridge.Serialization.Columnar;

namespace ZeroBridge.Server;

/// <summary>
/// Turns one inbound request into its reply: finds the command, binds the arguments, runs it, serializes the
/// result or the error. Knows nothing of sockets, so every route (direct server, broker worker) shares it.
/// </summary>
internal sealed class RequestDispatcher : IDisposable
{
    private readonly BuiltInCommands _commands;
    private readonly TableStreams _tables;
    private readonly ZeroBridgeServerOptions _options;
    private readonly ILogger _logger;

    public RequestDispatcher(CommandRegistry registry, ZeroBridgeServerOptions options, ILogger logger)
    {
        _tables = new TableStreams(options.TableChunkBytes, options.TableCursorIdleTimeout, options.MaxOpenTableCursors);
        _commands = new BuiltInCommands(registry, _tables);
        _options = options;
        _logger = logger;
    }

    /// <summary>Runs a request and returns the reply message (envelope included).</summary>
    public async Task<NetMQMessage> HandleAsync(InboundRequest request, string peer, CancellationToken cancellation)
    {
        switch (request)
        {
            case BridgeRequest bridge:
                var outcome = await ExecuteAsync(bridge.Header.Command!, bridge.Header.Timeout, bridge.Arguments,
                    bridge.Attachments, peer, cancellation).ConfigureAwait(false);
                return outcome.Error is null
                    ? BridgeReply(bridge.Envelope, bridge.Service, bridge.Header, outcome.Result)
                    : BridgeError(bridge.Envelope, bridge.Service, bridge.Header.RawId, outcome.Error);

            case GatewayRequest gateway:
                JsonGateway.Request parsed;
                try
                {
                    parsed = JsonGateway.Parse(gateway.Text);
                }
                catch (ZeroBridgeProtocolException ex)
                {
                    return GatewayReply(gateway.Envelope, JsonGateway.Failure(CommandError.Protocol(ErrorCodes.BadRequest, ex.Message), null));
                }
                var result = await ExecuteAsync(parsed.Command, null, parsed.Arguments, [], peer, cancellation).ConfigureAwait(false);
                return GatewayReply(gateway.Envelope, result.Error is null
                    ? EncodeJson(result.Result, parsed)
                    : JsonGateway.Failure(result.Error, parsed.Id));

            case MalformedRequest malformed:
                return Reject(malformed, CommandError.Protocol(ErrorCodes.BadRequest, malformed.Reason));

            default:
                throw new ArgumentOutOfRangeException(nameof(request), request.GetType().Name, "Unknown request kind.");
        }
    }

    /// <summary>An error reply to a request that will not run (malformed, or too large), in the request's own form.</summary>
    public NetMQMessage Reject(InboundRequest request, CommandError error)
    {
        _logger.LogDebug("Rejected a request: {Code} {Message}", error.Code, error.Message);
        return request switch
        {
            BridgeRequest bridge => BridgeError(bridge.Envelope, bridge.Service, bridge.Header.RawId, error),
            MalformedRequest { IsGateway: false, Service: not null } malformed =>
                BridgeError(malformed.Envelope, malformed.Service, malformed.RawId, error),
            MalformedRequest { IsGateway: false } malformed =>
                BridgeError(malformed.Envelope, WireConstants.DefaultService, malformed.RawId, error),
            _ => GatewayReply(request.Envelope, JsonGateway.Failure(error, null)),
        };
    }

    private byte[] EncodeJson(object? result, JsonGateway.Request request)
    {
        try
        {
            return JsonGateway.Success(result, request.Id);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or System.Text.Json.JsonException)
        {
            _logger.LogWarning(ex, "The result of {Command} cannot be written as JSON", request.Command);
            return JsonGateway.Failure(CommandError.Protocol(ErrorCodes.Internal,
                $"The result of {request.Command} cannot be written as JSON: {ex.Message}"), request.Id);
        }
    }

    internal readonly record struct Outcome(object? Result, CommandError? Error);

    internal async Task<Outcome> ExecuteAsync(string name, TimeSpan? timeout, ReadOnlyMemory<byte>? arguments,
        IReadOnlyList<ReadOnlyMemory<byte>> attachments, string peer, CancellationToken cancellation)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (timeout is { } t)
            deadline.CancelAfter(t);
        try
        {
            var command = _commands.Find(name);
            var context = new CommandContext(name, peer, deadline.Token);
            var values = ArgumentBinder.Bind(command, arguments, attachments, context);
            _logger.LogDebug("Running {Command} for {Peer}", name, peer);
            var result = await command.InvokeAsync(values).ConfigureAwait(false);
            return new Outcome(result, null);
        }
        catch (Exception ex)
        {
            bool deadlinePassed = ex is OperationCanceledException && deadline.IsCancellationRequested && !cancellation.IsCancellationRequested;
            var error = CommandError.From(ex, _options.IncludeStackTraces, deadlinePassed);
            if (error.Code is ErrorCodes.CommandFailed)
                _logger.LogWarning(ex, "Command {Command} failed for {Peer}", name, peer);
            else
                _logger.LogDebug("Command {Command} for {Peer}: {Code} {Message}", name, peer, error.Code, error.Message);
            return new Outcome(null, error);
        }
    }

    private NetMQMessage BridgeReply(Envelope envelope, string service, RequestHeader header, object? result)
    {
        var rawId = header.RawId;
        var attachments = new List<ReadOnlyMemory<byte>>();
        byte[] payload;
        try
        {
            payload = WireSerializer.Serialize(result?.GetType() ?? typeof(object), result, attachments, _tables,
                dictionaryStrings: header.Accept.Contains(WireConstants.Accept.Dictionary));
        }
        catch (ZeroBridgeSerializationException ex)
        {
            _logger.LogWarning(ex, "A result could not be serialized");
            return BridgeError(envelope, service, rawId, CommandError.From(ex, _options.IncludeStackTraces));
        }
        return BuildBridge(envelope, service, rawId, ok: true, payload, attachments);
    }

    private static NetMQMessage BridgeError(Envelope envelope, string service, ReadOnlyMemory<byte> rawId, CommandError error)
    {
        var attachments = new List<ReadOnlyMemory<byte>>();
        byte[] payload = WireSerializer.Serialize(error.ToWire(), attachments);
        return BuildBridge(envelope, service, rawId, ok: false, payload, attachments);
    }

    private static NetMQMessage BuildBridge(Envelope envelope, string service, ReadOnlyMemory<byte> rawId, bool ok,
        byte[] payload, List<ReadOnlyMemory<byte>> attachments)
    {
        var reply = envelope.StartReply();
        reply.Append(WireConstants.ClientSignatureBytes);
        reply.Append(Encoding.UTF8.GetBytes(service));
        reply.Append(ReplyHeader(rawId, ok));
        reply.Append(payload);
        foreach (var attachment in attachments)
            reply.Append(Frame(attachment));
        return reply;
    }

    /// <summary>A frame over the attachment's own array when it starts one (column buffers do): no copy.</summary>
    internal static NetMQFrame Frame(ReadOnlyMemory<byte> attachment) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(attachment, out var segment) && segment.Offset == 0
            ? new NetMQFrame(segment.Array!, segment.Count)
            : new NetMQFrame(attachment.ToArray());

    public void Dispose() => _tables.Dispose();

    /// <summary>The reply header {"v": 1, "id": &lt;the request's id, byte for byte&gt;, "ok": ok}.</summary>
    internal static byte[] ReplyHeader(ReadOnlyMemory<byte> rawId, bool ok)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(32);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(3);
        writer.Write(WireConstants.Header.Version);
        writer.Write(WireConstants.Version);
        writer.Write(WireConstants.Header.Id);
        writer.WriteRaw(rawId.Span);
        writer.Write(WireConstants.Header.Ok);
        writer.Write(ok);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static NetMQMessage GatewayReply(Envelope envelope, byte[] json)
    {
        var reply = envelope.StartReply();
        reply.Append(json);
        return reply;
    }
}
