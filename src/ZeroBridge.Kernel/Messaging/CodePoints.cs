using System.Text;

namespace ZeroBridge.Kernel.Messaging;

/// <summary>
/// Cursor positions: Jupyter counts Unicode code points (protocol 5.2+), .NET strings count UTF-16 units; they
/// differ only past characters outside the Basic Multilingual Plane (emoji).
/// </summary>
internal static class CodePoints
{
    /// <summary>The UTF-16 index of code point <paramref name="cursor"/> (clamped to the text).</summary>
    public static int ToUtf16(string text, int cursor)
    {
        int index = 0;
        for (int point = 0; point < cursor && index < text.Length; point++)
            index += char.IsHighSurrogate(text[index]) && index + 1 < text.Length ? 2 : 1;
        return index;
    }

    /// <summary>The code point index of UTF-16 index <paramref name="index"/>.</summary>
    public static int FromUtf16(string text, int index)
    {
        index = Math.Clamp(index, 0, text.Length);
        int points = 0;
        foreach (var _ in text.AsSpan(0, index).EnumerateRunes())
            points++;
        return points;
    }
}
