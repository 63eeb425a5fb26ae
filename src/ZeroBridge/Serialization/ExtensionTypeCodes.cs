namespace ZeroBridge.Serialization;

/// <summary>The msgpack ext type codes of the wire protocol (docs/protocol.md §4.1).</summary>
public static class ExtensionTypeCodes
{
    /// <summary>A date and time: int64 ticks of the wall clock, then optionally an int16 UTC offset in minutes.</summary>
    public const sbyte DateTime = 1;
    /// <summary>A duration: int64 ticks.</summary>
    public const sbyte TimeSpan = 2;
    /// <summary>A decimal number as invariant UTF-8 text.</summary>
    public const sbyte Decimal = 3;
    /// <summary>A UUID as 16 bytes in RFC 4122 order.</summary>
    public const sbyte Uuid = 4;
    /// <summary>A table (docs/protocol.md §4.2).</summary>
    public const sbyte Table = 5;
    /// <summary>A reference to an attachment frame: uint32 index.</summary>
    public const sbyte Attachment = 6;
    /// <summary>The standard msgpack timestamp, accepted on input as a UTC date and time.</summary>
    public const sbyte Timestamp = -1;
}
