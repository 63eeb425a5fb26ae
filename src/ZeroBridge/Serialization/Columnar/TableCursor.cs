using System.Security.Cryptography;

namespace ZeroBridge.Serialization.Columnar;

/// <summary>One table being sent in chunks: its source, its column types, and its row count when known.</summary>
internal sealed class TableCursor(string id, TableSource source, string[] wireTypes, long? total) : IDisposable
{
    /// <summary>The id the client asks for the next chunk by.</summary>
    public string Id { get; } = id;
    public TableSource Source { get; } = source;
    public string[] WireTypes { get; } = wireTypes;
    public long? Total { get; } = total;
    public long LastUsed = Environment.TickCount64;

    /// <summary>A fresh cursor id: random, so one client cannot guess another's.</summary>
    public static string NewId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    /// <summary>Held while a chunk is read and written, so a sweep cannot dispose the source under it.</summary>
    public readonly object Gate = new();
    public bool Disposed;

    public void Dispose()
    {
        lock (Gate)
        {
            if (Disposed)
                return;
            Disposed = true;
            Source.Dispose();
        }
    }
}
