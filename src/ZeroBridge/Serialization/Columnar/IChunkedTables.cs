namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// What a reader of replies does with tables that came in chunks (docs/protocol.md §10.3). The client provides it:
/// the table reader only reports what it meets, and the client fetches the rest with <c>table.next</c>.
/// </summary>
internal interface IChunkedTables
{
    /// <summary>Called for every table the reader meets: its position, and the whole table if already assembled.</summary>
    bool Meet(out int index, out TableData? whole);

    /// <summary>Notes the first chunk of a table that has more to come; the reader returns the chunk meanwhile.</summary>
    void AddPending(int index, ColumnarReader.Chunk first);
}
