using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MessagePack;
using Microsoft.Extensions.Logging;
using ZeroBridge.Protocol;
using ZeroBridge.Security;
using ZeroBridge.Serialization;

namespace ZeroBridge.Server;

/// <summary>
/// The JSON gateway (docs/protocol.md §6): reads a one-frame JSON request into a command name and a msgpack
/// arguments frame, so it runs through the same binder as a bridge request, and writes the JSON reply.
/// </summary>
internal static class JsonGateway
{
    private static readonly JsonSerializerOptions ReplyOptions = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters =
        {
            new JsonStringEnumConverter(),
            new WriteOnlyConverterFactory("Tables", IsTable, WriteTable),
            new ReadOnlyMemoryJsonConverter(),
            new WriteOnlyConverterFactory("Tuples", TypeShapes.IsTuple, WriteTuple),
        },
    };

    /// <summary>A parsed gateway request.</summary>
    public sealed record Request(string Command, byte[] Arguments, JsonElement? Id);

    /// <summary>Parses the frame; throws <see cref="ZeroBridgeProtocolException"/> with what is wrong.</summary>
    public static Request Parse(byte[] frame)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(frame).Trim();
        }
        catch (DecoderFallbackException)
        {
            throw new ZeroBridgeProtocolException(
                $"The request is neither a bridge-protocol message (first frame '{WireConstants.ClientSignature}') nor UTF-8 text for the JSON gateway.");
        }
        if (text.Length == 0)
            throw new ZeroBridgeProtocolException("The request is empty: send a command name or {\"command\": ..., \"args\": {...}}.");
        if (!text.StartsWith('{'))
        {
            if (text.Any(char.IsWhiteSpace) || text.Any(char.IsControl))
                throw new ZeroBridgeProtocolException($"'{Shorten(text)}' is not JSON and not a command name.");
            return new Request(text, EmptyArguments, null);
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (!root.TryGetProperty("command", out var command) || command.ValueKind != JsonValueKind.String)
                throw new ZeroBridgeProtocolException("The JSON request needs a \"command\" string.");
            JsonElement? id = root.TryGetProperty("id", out var idElement) ? CheckedId(idElement) : null;
            byte[] arguments = root.TryGetProperty("args", out var args) ? ToArgumentsFrame(args) : EmptyArguments;
            return new Request(command.GetString()!, arguments, id);
        }
        catch (JsonException ex)
        {
            throw new ZeroBridgeProtocolException($"The request is not valid JSON: {ex.Message}");
        }
        catch (InvalidOperationException ex)
        {
            // JSON escapes can spell text UTF-16 cannot hold (a lone surrogate, "\ud800"): it parses, but reading
            // the string throws.
            throw new ZeroBridgeProtocolException($"The request holds a string that is not valid Unicode: {ex.Message}");
        }
    }

    /// <summary>
    /// The request's <c>id</c>, to echo in the reply. It is written once here because JSON escapes can spell
    /// text UTF-16 cannot hold (a lone surrogate, anywhere inside the id): echoing that would fail only when the
    /// reply is written, as an <c>internal</c> error after the command ran, instead of a <c>bad_request</c> before it.
    /// </summary>
    private static JsonElement CheckedId(JsonElement id)
    {
        try
        {
            _ = JsonSerializer.SerializeToUtf8Bytes(id, ReplyOptions); // the id is small; ids of any shape are allowed
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new ZeroBridgeProtocolException($"The request's \"id\" cannot be echoed: it holds text that is not valid Unicode ({ex.Message}).");
        }
        return id.Clone();
    }

    /// <summary>
    /// The request when it is one of the proof's (<c>auth.hello</c>, <c>auth.prove</c>; docs/protocol.md §6.1), else
    /// null. Read on the socket thread of a server with an allow-list, so only text that names <c>auth.</c> is parsed
    /// here; a proof spelled with JSON escapes is not one, and goes on to the executor, which has no such command.
    /// </summary>
    public static Request? AsProof(byte[] frame)
    {
        if (frame.AsSpan().IndexOf("auth."u8) < 0)
            return null;
        try
        {
            return Parse(frame) is { Command: var command } request && AuthMessages.IsAuthCommand(command) ? request : null;
        }
        catch (ZeroBridgeProtocolException)
        {
            return null; // not valid: the usual path answers bad_request
        }
    }

    /// <summary>
    /// The reply frame to a proof request: <c>{"ok": true, "result": {"challenge": base64}}</c> to <c>auth.hello</c>,
    /// <c>{"ok": true, "result": {"key": Z85, "name": str|null}}</c> to an accepted <c>auth.prove</c>, or the error.
    /// </summary>
    public static byte[] ProofReply(ProofAnswer answer, JsonElement? id) => answer switch
    {
        { Error: { } error } => Failure(error, id),
        { Challenge: { } challenge } => Success(new Dictionary<string, object?> { ["challenge"] = challenge }, id),
        _ => Success(new Dictionary<string, object?> { ["key"] = answer.Identity!.Key, ["name"] = answer.Identity.Name }, id),
    };

    /// <summary>
    /// The reply frame for a result; a result JSON cannot express becomes an <c>internal</c> error reply.
    /// </summary>
    public static byte[] Success(object? result, Request request, ILogger logger)
    {
        try
        {
            return Success(result, request.Id);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or JsonException)
        {
            ServerLog.JsonResultUnwritable(logger, ex, request.Command);
            return Failure(ErrorMap.Of(ErrorCodes.Internal,
                $"The result of {request.Command} cannot be written as JSON: {ex.Message}"), request.Id);
        }
    }

    /// <summary>The reply frame for a result.</summary>
    private static byte[] Success(object? result, JsonElement? id)
    {
        var reply = new Dictionary<string, object?> { ["ok"] = true, ["result"] = result };
        if (id is not null)
            reply["id"] = id;
        return JsonSerializer.SerializeToUtf8Bytes(reply, ReplyOptions);
    }

    /// <summary>The reply frame for an error.</summary>
    public static byte[] Failure(ErrorMap error, JsonElement? id) => error.EncodeJson(id, ReplyOptions);

    private static readonly byte[] EmptyArguments = [0x92, 0x90, 0x80]; // msgpack [[], {}]

    private static byte[] ToArgumentsFrame(JsonElement args)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(2);
        switch (args.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteArrayHeader(0);
                WriteValue(ref writer, args);
                break;
            case JsonValueKind.Array:
                WriteValue(ref writer, args);
                writer.WriteMapHeader(0);
                break;
            case JsonValueKind.Null:
                writer.WriteArrayHeader(0);
                writer.WriteMapHeader(0);
                break;
            default:
                throw new ZeroBridgeProtocolException("\"args\" must be an object of keyword arguments or an array of positional ones.");
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteValue(ref MessagePackWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteMapHeader(value.EnumerateObject().Count());
                foreach (var property in value.EnumerateObject())
                {
                    writer.Write(property.Name);
                    WriteValue(ref writer, property.Value);
                }
                break;
            case JsonValueKind.Array:
                writer.WriteArrayHeader(value.GetArrayLength());
                foreach (var item in value.EnumerateArray())
                    WriteValue(ref writer, item);
                break;
            case JsonValueKind.String:
                writer.Write(value.GetString());
                break;
            case JsonValueKind.Number:
                if (value.TryGetInt64(out long integer))
                    writer.Write(integer);
                else if (value.TryGetUInt64(out ulong unsigned))
                    writer.Write(unsigned);
                else
                    writer.Write(value.GetDouble());
                break;
            case JsonValueKind.True:
                writer.Write(true);
                break;
            case JsonValueKind.False:
                writer.Write(false);
                break;
            default:
                writer.WriteNil();
                break;
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static bool IsTable(Type type) => typeof(TableData).IsAssignableFrom(type)
        || typeof(System.Data.IDataReader).IsAssignableFrom(type) || typeof(System.Data.DataTable).IsAssignableFrom(type);

    /// <summary>
    /// A table as an array of row objects. A data reader is disposed once read: a command that returns one hands it
    /// over, as on the msgpack route.
    /// </summary>
    private static void WriteTable(Utf8JsonWriter writer, object value, JsonSerializerOptions options)
    {
        TableData table;
        switch (value)
        {
            case TableData data:
                table = data;
                break;
            case System.Data.DataTable dataTable:
                table = TableData.FromDataTable(dataTable);
                break;
            default:
                using (var reader = (System.Data.IDataReader)value)
                    table = TableData.FromDataReader(reader);
                break;
        }
        JsonSerializer.Serialize(writer, table.Rows(), options);
    }

    /// <summary>Tuples as arrays, matching their msgpack form.</summary>
    private static void WriteTuple(Utf8JsonWriter writer, object value, JsonSerializerOptions options)
    {
        var tuple = (System.Runtime.CompilerServices.ITuple)value;
        writer.WriteStartArray();
        for (int i = 0; i < tuple.Length; i++)
            JsonSerializer.Serialize(writer, tuple[i], options);
        writer.WriteEndArray();
    }

    /// <summary>Bytes as base64 text, as System.Text.Json writes <c>byte[]</c>.</summary>
    private sealed class ReadOnlyMemoryJsonConverter : JsonConverter<ReadOnlyMemory<byte>>
    {
        public override ReadOnlyMemory<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetBytesFromBase64();

        public override void Write(Utf8JsonWriter writer, ReadOnlyMemory<byte> value, JsonSerializerOptions options) =>
            writer.WriteBase64StringValue(value.Span);
    }

    /// <summary>Converters for the types of <paramref name="canConvert"/>, which replies carry but requests never do.</summary>
    private sealed class WriteOnlyConverterFactory(string what, Func<Type, bool> canConvert,
        Action<Utf8JsonWriter, object, JsonSerializerOptions> write) : JsonConverterFactory
    {
        public override bool CanConvert(Type typeToConvert) => canConvert(typeToConvert);

        public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(WriteOnlyConverter<>).MakeGenericType(typeToConvert), what, write)!;

        private sealed class WriteOnlyConverter<T>(string what, Action<Utf8JsonWriter, object, JsonSerializerOptions> write)
            : JsonConverter<T>
        {
            public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
                throw new NotSupportedException($"{what} are not read from JSON.");

            public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
                write(writer, value!, options);
        }
    }
}
