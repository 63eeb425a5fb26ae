namespace ZeroBridge.TestRecords;

// Compiled into both test projects (linked from tests/Shared): the unit tests serialize these records in memory, the
// integration tests send them through a real server.

/// <summary>A two-valued enum: sent by name, and as a category column in tables.</summary>
public enum Shade { Light, Dark }

/// <summary>One property of every column type a table carries, several nullable.</summary>
public sealed record Typed(long Id, double Amount, string? Name, DateTime At, DateTimeOffset AtTz, TimeSpan Took,
    Guid Key, decimal Money, bool Flag, byte[]? Blob, Shade Shade, int? Maybe, DateTime? MaybeAt);

/// <summary>The globals C# scripts see in the scripting tests.</summary>
public sealed class Inventory
{
    /// <summary>A number scripts read and change.</summary>
    public int Count { get; set; } = 3;

    /// <summary>A list scripts read.</summary>
    public List<string> Names { get; } = ["a", "b"];
}
