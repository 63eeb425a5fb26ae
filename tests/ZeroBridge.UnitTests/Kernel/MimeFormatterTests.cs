using ZeroBridge.Kernel.Display;
using ZeroBridge.Serialization;

namespace ZeroBridge.UnitTests.Kernel;

/// <summary>What a notebook shows for a cell's value.</summary>
public class MimeFormatterTests
{
    public sealed record Order(int Id, string Customer);

    [Fact]
    public void Records_are_an_html_table_and_aligned_text()
    {
        var bundle = MimeFormatter.Format(new List<Order> { new(1, "Ada"), new(22, "<Grace>") });
        Assert.Contains("<th>Customer</th>", (string)bundle.Data["text/html"]);
        Assert.Contains("<td>&lt;Grace&gt;</td>", (string)bundle.Data["text/html"]); // escaped
        Assert.Equal(["Id  Customer", "1   Ada", "22  <Grace>", "2 rows × 2 columns"],
            bundle.PlainText.Split('\n').Select(line => line.TrimEnd()));
    }

    [Fact]
    public void A_long_table_shows_its_first_rows_and_says_how_many_there_are()
    {
        var bundle = MimeFormatter.Format(TableData.FromRecords(Enumerable.Range(0, 1000).Select(i => new Order(i, "c"))));
        Assert.EndsWith($"1000 rows ({MimeFormatter.MaxTableRows} shown) × 2 columns", bundle.PlainText);
        Assert.Equal(MimeFormatter.MaxTableRows + 2, bundle.PlainText.Split('\n').Length);
    }

    [Fact]
    public void An_endless_sequence_of_records_is_not_enumerated_to_its_end()
    {
        static IEnumerable<Order> Endless()
        {
            for (int i = 0; ; i++)
                yield return new Order(i, "c");
        }
        Assert.Contains($"more than {MimeFormatter.MaxTableRows} rows", MimeFormatter.Format(Endless()).PlainText);
    }

    [Fact]
    public void Png_bytes_are_an_image_and_other_bytes_are_not()
    {
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 7];
        Assert.Equal(Convert.ToBase64String(png), MimeFormatter.Format(png).Data["image/png"]);
        Assert.False(MimeFormatter.Format(new byte[] { 1, 2, 3 }).Data.ContainsKey("image/png"));
    }

    [Fact]
    public void Numbers_are_formatted_the_same_in_every_culture()
    {
        var saved = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            Assert.Equal("1.5", MimeFormatter.Format(1.5).PlainText);
            Assert.Equal("[1.5, 2]", MimeFormatter.Format(new[] { 1.5, 2 }).PlainText);
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = saved;
        }
    }
}
