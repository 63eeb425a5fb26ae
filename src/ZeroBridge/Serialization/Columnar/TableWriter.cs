using MessagePack;
using ZeroBridge.Serialization.Formatters;

namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// Sends a table source: in the "columns" layout when the message carries attachment frames (chunked when it is
/// large and the message has a <see cref="TableChunking"/>), else in the "lists" layout of protocol version 1.
/// </summary>
internal static class TableWriter
{
    public static void Write(ref MessagePackWriter writer, TableSource source, MessagePackSerializerOptions options)
    {
        var wire = options as WireSerializerOptions;
        bool handedOver = false;
        try
        {
            if (wire?.OutgoingAttachments is not { } attachments)
            {
                TableDataFormatter.WriteLists(ref writer, source.ReadAll().WithAwareDateTimes(), options);
                source.Recycle();
                return;
            }
            var chunking = wire.TableChunking;
            var chunk = source.Next(chunking?.ChunkBytes ?? long.MaxValue);
            var types = ColumnarWriter.WireTypes(chunk);
            string? more = null;
            if (!source.Finished)
            {
                var cursor = new TableCursor(TableCursor.NewId(), source, types, source.TotalRows);
                chunking!.Cut.Add(cursor);
                handedOver = true;
                more = cursor.Id;
            }
            ColumnarWriter.Write(ref writer, chunk, types, more, more is null ? null : source.TotalRows, attachments, options);
            source.Recycle(); // the frames hold copies: the chunk's storage is free for the next chunk
        }
        finally
        {
            if (!handedOver)
                source.Dispose();
        }
    }

    /// <summary>The next chunk of a cursor's table (the result of <c>table.next</c>).</summary>
    public static void WriteNext(ref MessagePackWriter writer, TableContinuation next, MessagePackSerializerOptions options)
    {
        var wire = options as WireSerializerOptions;
        if (wire?.OutgoingAttachments is not { } attachments)
            throw new MessagePackSerializationException("A table chunk needs a message with attachment frames.");
        var cursor = next.Cursor;
        lock (cursor.Gate)
        {
            if (cursor.Disposed) // closed (idle, or table.close) between the lookup and now
                throw new MessagePackSerializationException($"The table under cursor '{cursor.Id}' was closed.");
            var chunk = cursor.Source.Next(next.ChunkBytes);
            bool last = cursor.Source.Finished;
            ColumnarWriter.Write(ref writer, chunk, cursor.WireTypes, last ? null : cursor.Id, cursor.Total,
                attachments, options);
            cursor.Source.Recycle();
            if (last)
                next.Finished(cursor);
        }
    }
}

/// <summary>
/// The result of <c>table.next</c>: the next chunk, of at most <see cref="ChunkBytes"/>, is read from the source
/// while the reply is written; after the last one the cursor is handed to <see cref="Finished"/> (its store closes it).
/// </summary>
internal sealed class TableContinuation(TableCursor cursor, long chunkBytes, Action<TableCursor> finished)
{
    public TableCursor Cursor { get; } = cursor;
    public long ChunkBytes { get; } = chunkBytes;
    public Action<TableCursor> Finished { get; } = finished;
}
