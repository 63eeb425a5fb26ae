using MessagePack;

namespace ZeroBridge.Serialization;

/// <summary>
/// Serializer options for one message: besides the shared resolver they carry the message's attachment frames,
/// so that formatters of large binary values can write them as frames of their own (ext 6) and read them back.
/// A fresh instance is made per message; the resolver's formatter caches are shared.
/// </summary>
internal sealed class WireSerializerOptions : MessagePackSerializerOptions
{
    public WireSerializerOptions(MessagePackSerializerOptions copyFrom) : base(copyFrom) { }

    private WireSerializerOptions(WireSerializerOptions copyFrom) : base(copyFrom)
    {
        OutgoingAttachments = copyFrom.OutgoingAttachments;
        IncomingAttachments = copyFrom.IncomingAttachments;
        TableChunking = copyFrom.TableChunking;
        DictionaryStrings = copyFrom.DictionaryStrings;
        ChunkedTables = copyFrom.ChunkedTables;
    }

    /// <summary>The chunked tables of the reply being read (filled in as the reader meets them); null to refuse them.</summary>
    public Columnar.ChunkedTables? ChunkedTables { get; init; }

    /// <summary>
    /// Whether the peer reads dictionary-encoded string columns (it sent <c>"accept": ["dict"]</c>,
    /// docs/protocol.md §10.4), so repetitive string columns may travel as distinct values plus an index per row.
    /// </summary>
    public bool DictionaryStrings { get; init; }

    /// <summary>The chunk size of the reply being written, and the tables it cut (their later chunks wait for the
    /// client); null to send tables whole.</summary>
    public Columnar.TableChunking? TableChunking { get; init; }

    /// <summary>Where formatters put frames they send as attachments; null to send everything inline.</summary>
    public List<ReadOnlyMemory<byte>>? OutgoingAttachments { get; init; }

    /// <summary>The attachment frames of the message being read.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> IncomingAttachments { get; init; } = Array.Empty<ReadOnlyMemory<byte>>();

    protected override MessagePackSerializerOptions Clone() => new WireSerializerOptions(this);
}
