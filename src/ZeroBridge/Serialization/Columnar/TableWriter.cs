using MessagePack;
using ZeroBridge.Serialization.Formatters;

namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// Sends a table source: in the "columns" layout when the message carries attachment frames (chunked when it is
/// large and the server keeps cursors), else in the "lists" layout of protocol version 1.
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
            var cursors = wire.TableCursors;
            var chunk = source.Next(cursors?.ChunkBytes ?? long.MaxValue);
            var types = ColumnarWriter.WireTypes(chunk);
            string? more = null;
            if (!source.Finished)
            {
                more = cursors!.Open(source, types).Id;
                handedOver = true;
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
            var chunk = cursor.Source.Next(next.Cursors.ChunkBytes);
            bool last = cursor.Source.Finished;
            ColumnarWriter.Write(ref writer, chunk, cursor.WireTypes, last ? null : cursor.Id, cursor.Total,
                attachments, options);
            cursor.Source.Recycle();
            if (last)
                next.Cursors.Close(cursor.Id);
        }
    }
}

/// <summary>The result of <c>table.next</c>: the next chunk is read from the source while the reply is written.</summary>
internal sealed class TableContinuation(ITableCursors cursors, TableCursor cursor)
{
    public ITableCursors Cursors { get; } = cursors;
    public TableCursor Cursor { get; } = cursor;
}
