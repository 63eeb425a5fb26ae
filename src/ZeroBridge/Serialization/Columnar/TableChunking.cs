namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// How one reply sends large tables (docs/protocol.md §10.3): per-message data, like the attachment frames. A table
/// larger than <see cref="ChunkBytes"/> goes out as its first chunk plus a cursor id; the writer adds the cursor to
/// <see cref="Cut"/>, and whoever sends the reply keeps those cursors for <c>table.next</c> (a server's cursor store).
/// </summary>
internal sealed class TableChunking(long chunkBytes)
{
    /// <summary>The size at which a table is cut into chunks, and the size of each.</summary>
    public long ChunkBytes { get; } = chunkBytes;

    /// <summary>The tables this reply cut, whose later chunks are still to be sent.</summary>
    public List<TableCursor> Cut { get; } = [];
}
