using System.Text;

namespace ZeroBridge.Commands;

/// <summary>How command names are made and matched.</summary>
internal static class CommandNames
{
    /// <summary>
    /// The command name for a method: snake_case, as Python callers write names
    /// (<c>Recent</c> → <c>recent</c>, <c>GetByCustomer</c> → <c>get_by_customer</c>; a trailing <c>Async</c> is dropped).
    /// </summary>
    public static string FromMethodName(string methodName)
    {
        if (methodName.EndsWith("Async", StringComparison.Ordinal) && methodName.Length > 5)
            methodName = methodName[..^5];
        var name = new StringBuilder(methodName.Length + 4);
        for (int i = 0; i < methodName.Length; i++)
        {
            char c = methodName[i];
            bool boundary = i > 0 && char.IsUpper(c)
                && (char.IsLower(methodName[i - 1]) || (i + 1 < methodName.Length && char.IsLower(methodName[i + 1])));
            if (boundary)
                name.Append('_');
            name.Append(char.ToLowerInvariant(c));
        }
        return name.ToString();
    }

    /// <summary>Registered names close to an unknown one, best first: the "did you mean" of an error.</summary>
    public static IReadOnlyList<string> Suggest(string unknown, IEnumerable<string> known, int max = 3)
    {
        int threshold = Math.Max(2, unknown.Length / 3);
        return known
            .Select(name => (name, distance: Distance(unknown.ToLowerInvariant(), name.ToLowerInvariant())))
            .Where(c => c.distance <= threshold || c.name.EndsWith("." + unknown, StringComparison.OrdinalIgnoreCase))
            .OrderBy(c => c.distance)
            .ThenBy(c => c.name, StringComparer.Ordinal)
            .Take(max)
            .Select(c => c.name)
            .ToList();
    }

    /// <summary>Levenshtein distance.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
