using System.Buffers;
using System.Text.Json;
using MessagePack;

namespace ZeroBridge.Protocol;

/// <summary>The error map, the body of a failed reply (docs/protocol.md §3), and its codec in both directions.</summary>
/// <param name="Code">One of <see cref="ErrorCodes"/> or <see cref="BrokerErrorCodes"/>.</param>
/// <param name="Type">The .NET exception type's full name, or null when the sender named none.</param>
/// <param name="Message">The human-readable message.</param>
/// <param name="Stack">The stack trace, when the server sends them.</param>
/// <param name="Details">Extra facts for the code, or null.</param>
public sealed record ErrorMap(string Code, string? Type, string Message, string? Stack,
    IReadOnlyDictionary<string, object?>? Details)
{
    /// <summary>An error raised by the protocol layer itself, with no exception behind it.</summary>
    public static ErrorMap Of(string code, string message, IReadOnlyDictionary<string, object?>? details = null) =>
        new(code, typeof(ZeroBridgeProtocolException).FullName!, message, null, details);

    /// <summary>
    /// The msgpack map <c>{code, type, message, stack, details}</c>, every key present (nil when empty);
    /// <paramref name="values"/> writes the values of <see cref="Details"/>.
    /// </summary>
    public byte[] Encode(MessagePackSerializerOptions values)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(5);
        writer.Write(Keys.Code);
        writer.Write(Code);
        writer.Write(Keys.Type);
        writer.Write(Type);
        writer.Write(Keys.Message);
        writer.Write(Message);
        writer.Write(Keys.Stack);
        writer.Write(Stack);
        writer.Write(Keys.Details);
        if (Details is null)
            writer.WriteNil();
        else
            MessagePackSerializer.Serialize<object?>(ref writer, Details, values);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads an error map. Missing or mistyped fields get defaults (code <c>internal</c>); unknown keys are skipped;
    /// <paramref name="values"/> reads the values of <c>details</c>.
    /// </summary>
    /// <exception cref="ZeroBridgeProtocolException">The payload is not a msgpack map.</exception>
    public static ErrorMap Decode(ReadOnlyMemory<byte> payload, MessagePackSerializerOptions values)
    {
        string code = ErrorCodes.Internal;
        string? type = null, message = null, stack = null;
        IReadOnlyDictionary<string, object?>? details = null;
        try
        {
            var reader = new MessagePackReader(payload);
            if (reader.NextMessagePackType != MessagePackType.Map)
                throw new ZeroBridgeProtocolException("An error reply's body must be a msgpack map (docs/protocol.md §3).");
            int count = reader.ReadMapHeader();
            for (int i = 0; i < count; i++)
            {
                switch (HeaderMaps.NextKey(ref reader))
                {
                    case null:
                        continue;
                    case Keys.Code:
                        code = ReadString(ref reader) ?? code;
                        break;
                    case Keys.Type:
                        type = ReadString(ref reader);
                        break;
                    case Keys.Message:
                        message = ReadString(ref reader);
                        break;
                    case Keys.Stack:
                        stack = ReadString(ref reader);
                        break;
                    case Keys.Details:
                        details = StringKeys(MessagePackSerializer.Deserialize<object?>(ref reader, values));
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException)
        {
            throw new ZeroBridgeProtocolException($"An error reply's body is not valid msgpack: {ex.Message}", ex);
        }
        return new ErrorMap(code, type, message ?? "The peer reported an error without a message.", stack, details);
    }

    /// <summary>
    /// The JSON gateway's error reply <c>{"ok": false, "error": {...}, "id"?}</c> (docs/protocol.md §6): the error
    /// object always has <c>code</c>, <c>type</c> and <c>message</c>; <c>details</c> and <c>stack</c> only when
    /// present; <c>id</c> only when the request had one. <paramref name="options"/> writes the values of the details.
    /// </summary>
    public byte[] EncodeJson(JsonElement? id, JsonSerializerOptions? options = null)
    {
        var body = new Dictionary<string, object?>
        {
            [Keys.Code] = Code,
            [Keys.Type] = Type,
            [Keys.Message] = Message,
        };
        if (Details is not null)
            body[Keys.Details] = Details;
        if (Stack is not null)
            body[Keys.Stack] = Stack;
        var reply = new Dictionary<string, object?> { [WireConstants.Header.Ok] = false, ["error"] = body };
        if (id is not null)
            reply["id"] = id;
        return JsonSerializer.SerializeToUtf8Bytes(reply, options);
    }

    /// <summary>The exception of <see cref="ZeroBridgeRemoteException"/>'s family that this error stands for.</summary>
    public ZeroBridgeRemoteException ToException() => ZeroBridgeRemoteException.Create(Code, Type, Message, Stack, Details);

    private static string? ReadString(ref MessagePackReader reader)
    {
        if (reader.NextMessagePackType == MessagePackType.String)
            return reader.ReadString();
        reader.Skip();
        return null;
    }

    private static IReadOnlyDictionary<string, object?>? StringKeys(object? map) => map switch
    {
        IReadOnlyDictionary<string, object?> strings => strings,
        IEnumerable<KeyValuePair<object, object?>> objects => objects.Where(p => p.Key is string).ToDictionary(p => (string)p.Key, p => p.Value),
        _ => null,
    };

    private static class Keys
    {
        public const string Code = "code";
        public const string Type = "type";
        public const string Message = "message";
        public const string Stack = "stack";
        public const string Details = "details";
    }
}
