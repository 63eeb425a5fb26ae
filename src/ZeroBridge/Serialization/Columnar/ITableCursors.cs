namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// Where a table too large for one reply waits for its later chunks (docs/protocol.md §10.3). The side that sends
/// replies provides it (a server keeps cursors; a route without one sends tables whole), so the table writer
/// needs to know nothing of servers or of the command that fetches the next chunk.
/// </summary>
internal interface ITableCursors
{
    /// <summary>The size at which a table is cut into chunks, and the size of each.</summary>
    long ChunkBytes { get; }

    /// <summary>Keeps a source whose first chunk is being sent; returns its cursor, whose id goes to the client.</summary>
    /// <exception cref="InvalidOperationException">Too many tables are being sent at once.</exception>
    TableCursor Open(TableSource source, string[] wireTypes);

    /// <summary>Closes a cursor and disposes its source; true when it was open.</summary>
    bool Close(string id);
}
