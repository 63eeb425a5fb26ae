namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// The tables of one reply that came in chunks (docs/protocol.md §10.3): per-message data, like the attachment
/// frames, which the table reader fills in and the caller (a client that fetches the rest) completes. A reply
/// is read twice: the first read meets each chunked table's first chunk and notes it here (<see cref="Pending"/>);
/// once the client has fetched and assembled the rest (<see cref="Resolve"/>), the second read, after
/// <see cref="Rewind"/>, gets the whole tables in place of those first chunks. Tables are known by the order in
/// which a read meets them, which is the same in both reads.
/// </summary>
internal sealed class ChunkedTables
{
    private readonly Dictionary<int, TableData> _whole = new();
    private int _met;

    /// <summary>The first chunks of the tables still to be completed, by the table's position in the reply.</summary>
    public List<(int Index, ColumnarReader.Chunk First)> Pending { get; } = new();

    /// <summary>Called by the table reader for every table it meets: its position, and the whole table if already assembled.</summary>
    public bool Meet(out int index, out TableData? whole)
    {
        index = _met++;
        return _whole.TryGetValue(index, out whole);
    }

    /// <summary>Notes the first chunk of a table that has more to come; the first read returns the chunk meanwhile.</summary>
    public void AddPending(int index, ColumnarReader.Chunk first) => Pending.Add((index, first));

    /// <summary>Gives the whole table at <paramref name="index"/>, for the second read.</summary>
    public void Resolve(int index, TableData whole) => _whole[index] = whole;

    /// <summary>Whether the table at <paramref name="index"/> is whole.</summary>
    public bool Resolved(int index) => _whole.ContainsKey(index);

    /// <summary>Prepares the second read.</summary>
    public void Rewind() => _met = 0;
}
