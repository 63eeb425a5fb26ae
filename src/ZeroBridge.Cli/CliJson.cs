using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using ZeroBridge.Serialization;

namespace ZeroBridge.Cli;

/// <summary>How zbridge writes values as JSON: tables (also nested in a result) as arrays of row objects, text unescaped.</summary>
internal static class CliJson
{
    /// <summary>One value per line (<c>--json</c>, <c>sub</c>, <c>submit</c>).</summary>
    public static JsonSerializerOptions Compact { get; } = Create(indented: false);

    /// <summary>Indented, for a person reading a result.</summary>
    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    /// <summary>The value as JSON.</summary>
    public static string Serialize(object? value, bool indented = false) =>
        JsonSerializer.Serialize(value, indented ? Indented : Compact);

    private static JsonSerializerOptions Create(bool indented) => new()
    {
        WriteIndented = indented,
        // A terminal or a pipe, not an HTML page: "é", "<" and "'" stay as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new TableRowsConverter(), new JsonStringEnumConverter() },
    };

    /// <summary>A table as its rows, wherever it stands in a result (an order's lines inside the order).</summary>
    private sealed class TableRowsConverter : JsonConverter<TableData>
    {
        public override TableData Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("zbridge only writes tables as JSON.");

        public override void Write(Utf8JsonWriter writer, TableData value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.Rows(), options);
    }
}
