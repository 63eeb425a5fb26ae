namespace ZeroBridge.Protocol;

/// <summary>
/// Checks that bytes from a peer hold one well-formed msgpack value before any reader or formatter touches them:
/// every declared length (str, bin, ext) and element count (array, map) fits in the bytes that are actually there,
/// and containers nest no deeper than <see cref="MaxDepth"/>.
/// </summary>
/// <remarks>
/// MessagePack-CSharp's reader trusts declared lengths: a str32 declaring 2^31 bytes or more turns into a negative
/// length and an <see cref="ArgumentOutOfRangeException"/>, and <c>Skip</c> recurses once per nesting level, so a
/// frame of 100,000 nested arrays overflows the stack (which no <c>catch</c> can stop). One pass over the frame here,
/// without recursion and without allocating, makes every later read of it safe, so the parsers only have to check
/// types and ranges.
/// </remarks>
internal static class MessagePackShape
{
    /// <summary>How deeply arrays and maps may nest in anything a peer sends.</summary>
    public const int MaxDepth = 500; // MessagePack-CSharp's own default graph depth

    /// <summary>
    /// What is wrong with the first value in <paramref name="data"/>, or null when it is well-formed;
    /// <paramref name="length"/> is then its length in bytes (bytes after it are the caller's concern).
    /// </summary>
    public static string? Check(ReadOnlySpan<byte> data, out int length)
    {
        length = 0;
        Span<long> outer = stackalloc long[MaxDepth];
        int depth = 0, position = 0;
        long left = 1; // values still to read at the current nesting level
        while (true)
        {
            while (left == 0)
            {
                if (depth == 0)
                {
                    length = position;
                    return null;
                }
                left = outer[--depth];
            }
            left--;
            if (position >= data.Length)
                return "the msgpack value ends early";
            byte code = data[position++];
            long skip = 0, children = 0;
            bool ok = true;
            switch (code)
            {
                case <= 0x7f or >= 0xe0 or 0xc0 or 0xc2 or 0xc3: break; // fixint, nil, booleans
                case <= 0x8f: children = 2L * (code & 0x0f); break; // fixmap
                case <= 0x9f: children = code & 0x0f; break; // fixarray
                case <= 0xbf: skip = code & 0x1f; break; // fixstr
                case 0xc1: return "the msgpack byte 0xc1 is never used";
                case 0xc4 or 0xd9: ok = TryReadLength(data, ref position, 1, out skip); break; // bin8, str8
                case 0xc5 or 0xda: ok = TryReadLength(data, ref position, 2, out skip); break; // bin16, str16
                case 0xc6 or 0xdb: ok = TryReadLength(data, ref position, 4, out skip); break; // bin32, str32
                case 0xc7: ok = TryReadLength(data, ref position, 1, out skip); skip++; break; // ext8: + type byte
                case 0xc8: ok = TryReadLength(data, ref position, 2, out skip); skip++; break; // ext16
                case 0xc9: ok = TryReadLength(data, ref position, 4, out skip); skip++; break; // ext32
                case 0xca: skip = 4; break; // float32
                case 0xcb: skip = 8; break; // float64
                case 0xcc or 0xd0: skip = 1; break;
                case 0xcd or 0xd1: skip = 2; break;
                case 0xce or 0xd2: skip = 4; break;
                case 0xcf or 0xd3: skip = 8; break;
                case 0xd4: skip = 2; break; // fixext 1, 2, 4, 8, 16 (+ type byte)
                case 0xd5: skip = 3; break;
                case 0xd6: skip = 5; break;
                case 0xd7: skip = 9; break;
                case 0xd8: skip = 17; break;
                case 0xdc: ok = TryReadLength(data, ref position, 2, out children); break; // array16
                case 0xdd: ok = TryReadLength(data, ref position, 4, out children); break; // array32
                case 0xde: ok = TryReadLength(data, ref position, 2, out children); children *= 2; break; // map16
                case 0xdf: ok = TryReadLength(data, ref position, 4, out children); children *= 2; break; // map32
            }
            long remaining = data.Length - position;
            if (!ok)
                return "the msgpack value ends inside a length";
            if (skip > remaining)
                return $"a msgpack value declares {skip} bytes but only {remaining} follow";
            position += (int)skip;
            if (children == 0)
                continue;
            if (children > remaining) // every element takes at least one byte
                return $"a msgpack array or map declares {children} elements but only {remaining} bytes follow";
            if (depth == MaxDepth)
                return $"msgpack arrays and maps nest deeper than {MaxDepth} levels";
            outer[depth++] = left;
            left = children;
        }
    }

    private static bool TryReadLength(ReadOnlySpan<byte> data, ref int position, int width, out long value)
    {
        value = 0;
        if (data.Length - position < width)
            return false;
        for (int i = 0; i < width; i++)
            value = (value << 8) | data[position + i];
        position += width;
        return true;
    }
}
