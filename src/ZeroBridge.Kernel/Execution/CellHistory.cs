using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ZeroBridge.Kernel.Execution;

/// <summary>
/// The cells executed with <c>store_history</c> in this kernel's lifetime, for <c>history_request</c>: tail, range
/// and search (glob patterns, as IPython's). Kept in memory only, and bounded.
/// </summary>
internal sealed class CellHistory
{
    /// <summary>The session number of this kernel's history (IPython numbers sessions from 1).</summary>
    public const int Session = 1;

    private const int Capacity = 10_000;
    private readonly List<(int Line, string Input, string? Output)> _entries = [];
    private readonly object _gate = new();

    public void Add(int line, string input, string? output)
    {
        lock (_gate)
        {
            if (_entries.Count == Capacity)
                _entries.RemoveAt(0);
            _entries.Add((line, input, output));
        }
    }

    /// <summary>The <c>history</c> list of a <c>history_reply</c> for the request's content.</summary>
    public JsonArray Query(JsonObject request)
    {
        bool output = request["output"] is JsonValue o && o.TryGetValue(out bool wantsOutput) && wantsOutput;
        int? n = Number(request, "n");
        List<(int Line, string Input, string? Output)> selected;
        lock (_gate)
        {
            selected = Messaging.JupyterMessage.Text(request, "hist_access_type") switch
            {
                "tail" => _entries.TakeLast(n ?? _entries.Count).ToList(),
                "range" => Range(request),
                "search" => Search(request, n),
                _ => [],
            };
        }
        var history = new JsonArray();
        foreach (var (line, input, result) in selected)
        {
            JsonNode entry = output ? new JsonArray(input, result) : JsonValue.Create(input);
            history.Add(new JsonArray(Session, line, entry));
        }
        return history;
    }

    private List<(int, string, string?)> Range(JsonObject request)
    {
        int session = Number(request, "session") ?? 0;
        if (session > 0 && session != Session)
            return [];
        int start = Number(request, "start") ?? 0, stop = Number(request, "stop") ?? int.MaxValue;
        return _entries.Where(e => e.Line >= start && e.Line < stop).ToList();
    }

    private List<(int, string, string?)> Search(JsonObject request, int? n)
    {
        string pattern = Messaging.JupyterMessage.Text(request, "pattern");
        var glob = new Regex("^" + Regex.Escape(pattern.Length == 0 ? "*" : pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$",
            RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        bool unique = request["unique"] is JsonValue u && u.TryGetValue(out bool isUnique) && isUnique;
        var found = _entries.Where(e => glob.IsMatch(e.Input)).ToList();
        if (unique)
            found = found.GroupBy(e => e.Input).Select(g => g.Last()).OrderBy(e => e.Line).ToList();
        return n is { } count ? found.TakeLast(count).ToList() : found;
    }

    private static int? Number(JsonObject request, string name) =>
        request[name] is JsonValue value && value.TryGetValue(out double number) ? (int)Math.Clamp(number, int.MinValue, int.MaxValue) : null;
}
