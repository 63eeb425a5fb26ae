using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// The chunked tables a server is in the middle of sending. A table larger than <see cref="ChunkBytes"/> goes out
/// one chunk per reply: the first with the command's reply, each next one when the client asks for it with the
/// built-in <c>table.next</c> (docs/protocol.md §10.3), so neither side holds more than a chunk or two at once.
/// A cursor nobody asks for within <see cref="IdleTimeout"/> is closed, and its source disposed.
/// </summary>
internal sealed class TableStreams : IDisposable
{
    private readonly ConcurrentDictionary<string, Cursor> _cursors = new(StringComparer.Ordinal);
    private readonly Timer _sweeper;

    public TableStreams(long chunkBytes, TimeSpan idleTimeout, int maxOpen)
    {
        ChunkBytes = chunkBytes;
        IdleTimeout = idleTimeout;
        MaxOpen = maxOpen;
        var period = TimeSpan.FromMilliseconds(Math.Clamp(idleTimeout.TotalMilliseconds / 4, 100, 10_000));
        _sweeper = new Timer(_ => Sweep(), null, period, period);
    }

    /// <summary>The size at which a table is cut into chunks, and the size of each.</summary>
    public long ChunkBytes { get; }

    public TimeSpan IdleTimeout { get; }

    public int MaxOpen { get; }

    public int OpenCount => _cursors.Count;

    /// <summary>One table being sent: its source, its column types, and its row count when known.</summary>
    internal sealed class Cursor(string id, TableSource source, string[] wireTypes, long? total) : IDisposable
    {
        public string Id { get; } = id;
        public TableSource Source { get; } = source;
        public string[] WireTypes { get; } = wireTypes;
        public long? Total { get; } = total;
        public long LastUsed = Environment.TickCount64;
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

    /// <summary>Registers a source whose first chunk was sent; returns the cursor id for the client.</summary>
    /// <exception cref="InvalidOperationException">Too many tables are being sent at once.</exception>
    public string Open(TableSource source, string[] wireTypes)
    {
        Sweep();
        if (_cursors.Count >= MaxOpen)
            throw new InvalidOperationException(
                $"{_cursors.Count} chunked tables are already being sent; finish or close them (table.close) first.");
        string id = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        _cursors[id] = new Cursor(id, source, wireTypes, source.TotalRows);
        return id;
    }

    /// <summary>The cursor of that id, marked as used.</summary>
    /// <exception cref="Commands.NotFoundException">No such cursor: finished, closed, expired, or never opened.</exception>
    public Cursor Get(string id)
    {
        if (!_cursors.TryGetValue(id, out var cursor))
            throw new Commands.NotFoundException(
                $"No table is being sent under cursor '{id}': it was finished, closed, or idle for longer than {IdleTimeout.TotalSeconds:0.#} s.");
        Interlocked.Exchange(ref cursor.LastUsed, Environment.TickCount64);
        return cursor;
    }

    /// <summary>Closes a cursor and disposes its source; true when it was open.</summary>
    public bool Close(string id)
    {
        if (!_cursors.TryRemove(id, out var cursor))
            return false;
        cursor.Dispose();
        return true;
    }

    private void Sweep()
    {
        long now = Environment.TickCount64;
        foreach (var (id, cursor) in _cursors)
        {
            if (now - Interlocked.Read(ref cursor.LastUsed) > IdleTimeout.TotalMilliseconds)
                Close(id);
        }
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        foreach (var id in _cursors.Keys)
            Close(id);
    }
}
