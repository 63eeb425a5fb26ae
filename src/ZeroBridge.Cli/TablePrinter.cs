using System.Globalization;
using Spectre.Console;
using ZeroBridge.Serialization;

namespace ZeroBridge.Cli;

/// <summary>A table result drawn for a person at a terminal (pipes and <c>--json</c> get JSON instead).</summary>
internal static class TablePrinter
{
    /// <summary>Rows drawn before the rest is summarized: a terminal is not the place for a million rows.</summary>
    private const int MaxRows = 200;

    public static void Write(TableData table)
    {
        var grid = new Table().Border(TableBorder.Rounded);
        foreach (var column in table.Columns)
            grid.AddColumn(new Spectre.Console.TableColumn(Markup.Escape(column.Name)));
        int shown = 0;
        foreach (var row in table.Rows())
        {
            if (shown++ == MaxRows)
                break;
            grid.AddRow(table.Columns.Select(c => Markup.Escape(Format(row[c.Name]))).ToArray());
        }
        AnsiConsole.Write(grid);
        string more = table.RowCount > MaxRows ? $", the first {MaxRows} shown (--json for all)" : "";
        AnsiConsole.MarkupLine($"[grey]{table.RowCount} row(s){Markup.Escape(more)}[/]");
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        DateTime time => time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        string text => text,
        _ => CliJson.Serialize(value),
    };
}
