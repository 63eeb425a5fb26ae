using System.Collections;
using System.Data;
using System.Globalization;
using System.Net;
using System.Text;
using ZeroBridge.Serialization;

namespace ZeroBridge.Kernel.Display;

/// <summary>
/// Turns a cell's value into what a notebook shows: tables (<see cref="TableData"/>, <see cref="DataTable"/>,
/// <see cref="IDataReader"/>, sequences of records) as an HTML table plus aligned text, PNG bytes as an image, a
/// <see cref="MimeBundle"/> as itself, anything else as text.
/// </summary>
public static class MimeFormatter
{
    /// <summary>The most rows a table shows; the rest are counted, not shown.</summary>
    public const int MaxTableRows = 50;

    /// <summary>The most items a sequence shows as text.</summary>
    public const int MaxSequenceItems = 100;

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The bundle for <paramref name="value"/>.</summary>
    public static MimeBundle Format(object? value) => value switch
    {
        MimeBundle bundle => bundle,
        null => Text("null"),
        byte[] bytes when bytes.AsSpan().StartsWith(PngSignature) => Png(bytes),
        TableData table => Table(table, table.RowCount),
        DataTable table => Table(TableData.FromDataTable(table)),
        IDataReader reader => Table(TableData.FromDataReader(reader)),
        string text => Text(text),
        IDictionary dictionary => Text(Describe(dictionary)),
        IEnumerable sequence when RecordType(sequence) is { } type => Table(Records(sequence, type), (sequence as ICollection)?.Count),
        IEnumerable sequence => Text(Describe(sequence)),
        _ => Text(Describe(value)),
    };

    /// <summary>A bundle with <c>image/png</c> (base64) and a text fallback.</summary>
    public static MimeBundle Png(byte[] png) => new(new Dictionary<string, object>
    {
        ["image/png"] = Convert.ToBase64String(png),
        ["text/plain"] = $"<PNG image, {png.Length} bytes>",
    });

    /// <summary>A plain-text bundle.</summary>
    public static MimeBundle Text(string text) => new(new Dictionary<string, object> { ["text/plain"] = text });

    /// <summary>A table as HTML and aligned text, at most <see cref="MaxTableRows"/> rows of it.</summary>
    /// <param name="table">The table, or its first rows.</param>
    /// <param name="totalRows">How many rows the whole table has, when <paramref name="table"/> holds only the first; null: unknown.</param>
    public static MimeBundle Table(TableData table, int? totalRows = null)
    {
        var shown = table.RowCount > MaxTableRows ? table.Slice(0, MaxTableRows) : table;
        var cells = shown.Columns.Select(c => c.Values.Select(Cell).ToList()).ToList();
        string rows = table.RowCount <= MaxTableRows ? $"{table.RowCount} rows"
            : totalRows is { } total ? $"{Math.Max(total, table.RowCount)} rows ({MaxTableRows} shown)"
            : $"more than {MaxTableRows} rows ({MaxTableRows} shown)";
        string footer = $"{rows} × {table.Columns.Count} columns";

        var html = new StringBuilder("<table>\n<thead><tr>");
        foreach (var column in shown.Columns)
            html.Append("<th>").Append(WebUtility.HtmlEncode(column.Name)).Append("</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        for (int row = 0; row < shown.RowCount; row++)
        {
            html.Append("<tr>");
            foreach (var column in cells)
                html.Append("<td>").Append(WebUtility.HtmlEncode(column[row])).Append("</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table>\n<p>").Append(WebUtility.HtmlEncode(footer)).Append("</p>");

        var widths = shown.Columns.Select((c, i) => cells[i].Append(c.Name).Max(s => s.Length)).ToList();
        var text = new StringBuilder();
        text.AppendJoin("  ", shown.Columns.Select((c, i) => c.Name.PadRight(widths[i]))).Append('\n');
        for (int row = 0; row < shown.RowCount; row++)
            text.AppendJoin("  ", cells.Select((column, i) => column[row].PadRight(widths[i]))).Append('\n');
        text.Append(footer);
        return new MimeBundle(new Dictionary<string, object> { ["text/html"] = html.ToString(), ["text/plain"] = text.ToString() });
    }

    private static string Cell(object? value) => value switch
    {
        null => "",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Describe(object? value) => value switch
    {
        null => "null",
        string text => text,
        IDictionary dictionary => "{ " + string.Join(", ", dictionary.Cast<DictionaryEntry>().Take(MaxSequenceItems)
            .Select(e => $"{Describe(e.Key)}: {Describe(e.Value)}")) + (dictionary.Count > MaxSequenceItems ? ", …" : "") + " }",
        IEnumerable sequence => DescribeSequence(sequence),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string DescribeSequence(IEnumerable sequence)
    {
        var items = sequence.Cast<object?>().Take(MaxSequenceItems + 1).ToList();
        string more = items.Count > MaxSequenceItems ? ", …" : "";
        return "[" + string.Join(", ", items.Take(MaxSequenceItems).Select(Describe)) + more + "]";
    }

    /// <summary>The element type when a sequence holds records (objects with properties), else null.</summary>
    private static Type? RecordType(IEnumerable sequence)
    {
        var element = sequence.GetType().GetInterfaces().Append(sequence.GetType())
            .FirstOrDefault(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
        if (element is null || element.IsPrimitive || element.IsEnum || element == typeof(string) || element == typeof(object)
            || element == typeof(decimal) || element == typeof(DateTime) || element == typeof(DateTimeOffset) || element == typeof(Guid)
            || typeof(IEnumerable).IsAssignableFrom(element))
            return null;
        return element.GetProperties().Any(p => p.GetIndexParameters().Length == 0) ? element : null;
    }

    private static TableData Records(IEnumerable sequence, Type type)
    {
        // Enough rows to show and to know there are more; a lazy or endless sequence is not enumerated further.
        var rows = sequence.Cast<object?>().Take(MaxTableRows + 1).ToList();
        var typed = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(type))!;
        foreach (var row in rows)
            typed.Add(row);
        return TableData.FromRecords(typed, type);
    }
}
