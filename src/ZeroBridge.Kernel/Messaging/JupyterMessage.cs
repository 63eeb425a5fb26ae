using System.Text.Json.Nodes;

namespace ZeroBridge.Kernel.Messaging;

/// <summary>One Jupyter message: the routing identities it came with, its four JSON parts and any binary buffers.</summary>
public sealed class JupyterMessage
{
    /// <summary>The protocol version this kernel speaks.</summary>
    public const string ProtocolVersion = "5.3";

    /// <summary>The ROUTER identities of the peer (empty for IOPub).</summary>
    public IReadOnlyList<byte[]> Identities { get; init; } = [];

    /// <summary>msg_id, session, username, date, msg_type, version.</summary>
    public required JsonObject Header { get; init; }

    /// <summary>The header of the request this message answers, or empty.</summary>
    public JsonObject ParentHeader { get; init; } = [];

    /// <summary>Metadata (free-form).</summary>
    public JsonObject Metadata { get; init; } = [];

    /// <summary>The message's content, whose shape its type defines.</summary>
    public JsonObject Content { get; init; } = [];

    /// <summary>Binary buffers after the JSON parts.</summary>
    public IReadOnlyList<byte[]> Buffers { get; init; } = [];

    /// <summary>The message type (<c>execute_request</c>, <c>status</c>…).</summary>
    public string MessageType => Text(Header, "msg_type");

    /// <summary>The message id.</summary>
    public string MessageId => Text(Header, "msg_id");

    /// <summary>A string member of a JSON object, or empty when it is missing or not a string.</summary>
    public static string Text(JsonObject value, string name) =>
        value[name] is JsonValue member && member.TryGetValue(out string? text) ? text : "";

    /// <summary>A new message answering or caused by <paramref name="parent"/> (null: none), in kernel session <paramref name="session"/>.</summary>
    public static JupyterMessage Create(string messageType, JsonObject content, JupyterMessage? parent, string session,
        IReadOnlyList<byte[]>? identities = null, JsonObject? metadata = null) => new()
    {
        Identities = identities ?? [],
        Header = new JsonObject
        {
            ["msg_id"] = Guid.NewGuid().ToString("N"),
            ["session"] = session,
            ["username"] = "kernel",
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["msg_type"] = messageType,
            ["version"] = ProtocolVersion,
        },
        ParentHeader = parent is null ? [] : (JsonObject)parent.Header.DeepClone(),
        Metadata = metadata ?? [],
        Content = content,
    };
}
