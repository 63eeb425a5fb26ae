namespace ZeroBridge.Security;

/// <summary>
/// A permission pattern over dotted names (<c>orders.*</c>, <c>sql.query</c>, <c>*</c>), matched segment by segment so
/// that a pattern never matches part of a name: <c>orders.*</c> matches <c>orders.get</c> and <c>orders.lines.add</c>,
/// not <c>ordersx</c> nor <c>orders</c>.
/// </summary>
/// <remarks>
/// A segment <c>*</c> at the end matches one or more remaining segments; a <c>*</c> elsewhere matches exactly one
/// segment; any other segment matches itself only (case-sensitive, as command names are).
/// </remarks>
internal sealed class DottedGlob
{
    private readonly string[] _segments;

    private DottedGlob(string pattern)
    {
        Pattern = pattern;
        _segments = pattern.Split('.');
    }

    /// <summary>The pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>The patterns of a comma-separated list such as <c>"orders.*, sql.query"</c>; empty entries are skipped.</summary>
    public static IReadOnlyList<DottedGlob> ParseList(string? list) =>
        (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pattern => new DottedGlob(pattern)).ToArray();

    /// <summary>Whether <paramref name="name"/> matches this pattern as a whole.</summary>
    public bool Matches(string name)
    {
        var parts = name.Split('.');
        for (int i = 0; i < _segments.Length; i++)
        {
            bool last = i == _segments.Length - 1;
            if (i >= parts.Length)
                return false;
            if (_segments[i] == "*")
            {
                if (last)
                    return parts.Skip(i).All(p => p.Length > 0);
                if (parts[i].Length == 0)
                    return false;
                continue;
            }
            if (!string.Equals(_segments[i], parts[i], StringComparison.Ordinal))
                return false;
        }
        return parts.Length == _segments.Length;
    }

    /// <summary>Whether any of <paramref name="patterns"/> matches <paramref name="name"/>.</summary>
    public static bool Any(IReadOnlyList<DottedGlob> patterns, string name) => patterns.Any(p => p.Matches(name));

    /// <inheritdoc/>
    public override string ToString() => Pattern;
}
