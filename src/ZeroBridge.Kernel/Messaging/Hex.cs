namespace ZeroBridge.Kernel.Messaging;

/// <summary>
/// Lowercase hex, as Jupyter writes keys and signatures. The package targets net8.0 too, which lacks .NET 9's
/// <c>Convert.ToHexStringLower</c> and span-based <c>Convert.FromHexString</c>; this keeps the newer calls where they exist.
/// </summary>
internal static class Hex
{
    /// <summary>The bytes as lowercase hex.</summary>
    public static string Lower(ReadOnlySpan<byte> bytes) =>
#if NET9_0_OR_GREATER
        Convert.ToHexStringLower(bytes);
#else
        Convert.ToHexString(bytes).ToLowerInvariant();
#endif

    /// <summary>Decodes <paramref name="text"/> into exactly <paramref name="destination"/>; false for anything else (never throws).</summary>
    public static bool TryDecode(string text, Span<byte> destination)
    {
        if (text.Length != destination.Length * 2)
            return false;
#if NET9_0_OR_GREATER
        return Convert.FromHexString(text, destination, out _, out int written) == System.Buffers.OperationStatus.Done
               && written == destination.Length;
#else
        for (int i = 0; i < destination.Length; i++)
        {
            int high = Digit(text[2 * i]), low = Digit(text[2 * i + 1]);
            if ((high | low) < 0)
                return false;
            destination[i] = (byte)(high << 4 | low);
        }
        return true;
#endif
    }

#if !NET9_0_OR_GREATER
    private static int Digit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
#endif
}
