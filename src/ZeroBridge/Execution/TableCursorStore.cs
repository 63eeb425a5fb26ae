using System.Collections.Concurrent;
using ZeroBridge.Commands;
using ZeroBridge.Serialization.Columnar;

namespace ZeroBridge.Execution;

/// <summary>
/// The chunk cursors: the chunked tables a server is in the middle of sending. A table larger than <see cref="ChunkBytes"/> goes out
/// one chunk per reply: the first with the command's reply, each next one when the client asks for it with the
/// built-in <c>table.next</c> (docs/protocol.md §10.3), so neither side holds more than a chunk or two at once.
/// A cursor nobody asks for within <see cref="IdleTimeout"/> is closed, and its source disposed.
/// </summary>
internal sealed class TableCursorStore : IDisposable
{
    private readonly ConcurrentDictionary<string, TableCursor> _cursors = new(StringComparer.Ordinal);
    private readonly Timer _sweeper;

    public TableCursorStore(long chunkBytes, TimeSpan idleTimeout, int maxOpen)
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

    /// <summary>Keeps the tables a reply cut, until the client has fetched them; disposes them all when they do not fit.</summary>
    /// <exception cref="InvalidOperationException">Keeping them would exceed <see cref="MaxOpen"/>.</exception>
    public void Keep(IReadOnlyList<TableCursor> cut)
    {
        if (cut.Count == 0)
            return;
        Sweep();
        if (_cursors.Count + cut.Count > MaxOpen)
        {
            foreach (var cursor in cut)
                cursor.Dispose();
            throw new InvalidOperationException(
                $"{_cursors.Count} chunked tables are already being sent; finish or close them (table.close) first.");
        }
        foreach (var cursor in cut)
            _cursors[cursor.Id] = cursor;
    }

    /// <summary>The next chunk of the table under <paramref name="id"/>, for <c>table.next</c>.</summary>
    /// <exception cref="NotFoundException">No such cursor.</exception>
    public TableContinuation Continue(string id) => new(Get(id), ChunkBytes, cursor => Close(cursor.Id));

    /// <summary>The cursor of that id, marked as used.</summary>
    /// <exception cref="NotFoundException">No such cursor: finished, closed, expired, or never opened.</exception>
    private TableCursor Get(string id)
    {
        if (!_cursors.TryGetValue(id, out var cursor))
            throw new NotFoundException(
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
