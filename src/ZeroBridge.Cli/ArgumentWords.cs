using System.Text.Json;

namespace ZeroBridge.Cli;

/// <summary>
/// Arguments as typed on the command line (<c>call</c>, <c>submit</c>): <c>name=value</c> is a keyword argument when
/// the text before '=' is an identifier, anything else a positional value; values are read as JSON when they parse
/// (<c>3</c>, <c>[1,2]</c>, <c>{"a":1}</c>, <c>true</c>), else taken as text.
/// </summary>
internal static class ArgumentWords
{
    /// <summary>Whether <paramref name="word"/> is <c>name=value</c>; if so, its name and decoded value.</summary>
    public static bool TryKeyword(string word, out string name, out object? value)
    {
        int equals = word.IndexOf('=');
        if (equals > 0 && IsName(word.AsSpan(0, equals)))
        {
            name = word[..equals];
            value = FromJson(word[(equals + 1)..]);
            return true;
        }
        (name, value) = ("", null);
        return false;
    }

    /// <summary>The value of a word: JSON when it parses, else the text itself.</summary>
    public static object? FromJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return Convert(document.RootElement);
        }
        catch (JsonException)
        {
            return text;
        }
    }

    private static bool IsName(ReadOnlySpan<char> text)
    {
        if (!(char.IsLetter(text[0]) || text[0] == '_'))
            return false;
        foreach (char c in text)
            if (!(char.IsLetterOrDigit(c) || c == '_'))
                return false;
        return true;
    }

    private static object? Convert(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number when element.TryGetInt64(out long integer) => integer,
        JsonValueKind.Number => element.GetDouble(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => element.EnumerateArray().Select(Convert).ToArray(),
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => Convert(p.Value)),
        _ => null,
    };
}
