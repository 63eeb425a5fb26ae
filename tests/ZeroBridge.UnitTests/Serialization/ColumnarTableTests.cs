using System.Data;
using MessagePack;
using ZeroBridge.Serialization;
using ZeroBridge.TestRecords;

namespace ZeroBridge.UnitTests.Serialization;

public class ColumnarTableTests
{
    private static TableData RoundTrip(object value, out int frames)
    {
        var attachments = new List<ReadOnlyMemory<byte>>();
        var bytes = WireSerializer.Serialize(value, attachments);
        frames = attachments.Count;
        return Assert.IsType<TableData>(WireSerializer.Deserialize<object>(bytes, attachments));
    }

    private static List<Typed> Rows(int count) => Enumerable.Range(0, count).Select(i => new Typed(
        i, i * 0.5, i % 3 == 1 ? null : $"ü{i}", new DateTime(2024, 1, 1).AddMinutes(i),
        new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.FromHours(2)).AddDays(i), TimeSpan.FromSeconds(i),
        new Guid(i, 1, 2, [1, 2, 3, 4, 5, 6, 7, 8]), 1.10m * i, i % 2 == 0, i % 3 == 1 ? null : [(byte)i],
        (Shade)(i % 2), i % 3 == 1 ? null : i, i % 3 == 1 ? null : new DateTime(2000, 1, 1).AddDays(i))).ToList();

    [Fact]
    public void Records_travel_as_typed_columns_with_one_frame_per_buffer()
    {
        var table = RoundTrip(Rows(10), out int frames);
        Assert.True(frames >= 13, $"{frames} attachment frames");
        Assert.Equal(10, table.RowCount);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i).ToArray(), table["Id"].GetValues<long>().ToArray());
        Assert.Equal(ColumnTypes.DateTimeTz, table["AtTz"].Type);
        Assert.Equal(TimeSpan.FromHours(2), table["AtTz"].GetValues<DateTimeOffset>()[3].Offset);
        Assert.Equal(new DateTime(2024, 1, 1).AddMinutes(7), table["At"].GetValues<DateTime>()[7]);
        Assert.Equal(3.30m, table["Money"].GetValues<decimal>()[3]);
        Assert.Equal("Dark", table["Shade"].Values[1]);
        Assert.Equal(3, table["Maybe"].NullCount);
        Assert.True(table["Maybe"].IsNull(1) && table["Name"].IsNull(4) && table["Blob"].IsNull(7) && table["MaybeAt"].IsNull(1));
        Assert.Equal("ü2", table["Name"].GetValues<string?>()[2]);
        Assert.Equal(new Guid(5, 1, 2, [1, 2, 3, 4, 5, 6, 7, 8]), table["Key"].GetValues<Guid>()[5]);
    }

    [Fact]
    public void Empty_and_one_row_tables_keep_their_schema()
    {
        var empty = RoundTrip(Rows(0), out _);
        Assert.Equal(0, empty.RowCount);
        Assert.Equal(13, empty.Columns.Count);
        Assert.Equal(ColumnTypes.Int32, empty["Maybe"].Type);
        var one = RoundTrip(Rows(1), out _);
        Assert.Equal("ü0", one["Name"].Values[0]);
    }

    [Fact]
    public void Table_builder_arrays_and_data_tables_travel_columnar()
    {
        var built = new TableBuilder().Add("x", new[] { 1.5, 2.5 }).Add("n", new int?[] { null, 4 }).Build();
        var table = RoundTrip(built, out _);
        Assert.Equal(new[] { 1.5, 2.5 }, table["x"].GetValues<double>().ToArray());
        Assert.True(table["n"].IsNull(0));
        Assert.Equal(4, table["n"].GetValues<int>()[1]);

        var data = new DataTable();
        data.Columns.Add("id", typeof(int));
        data.Columns.Add("name", typeof(string));
        data.Rows.Add(1, "a");
        data.Rows.Add(2, DBNull.Value);
        var fromDataTable = RoundTrip(data, out _);
        Assert.Equal(new[] { 1, 2 }, fromDataTable["id"].GetValues<int>().ToArray());
        Assert.True(fromDataTable["name"].IsNull(1));
    }

    [Fact]
    public void A_typed_read_of_the_wrong_type_says_what_the_column_holds()
    {
        var table = RoundTrip(Rows(2), out _);
        var error = Assert.Throws<InvalidOperationException>(() => table["Id"].GetValues<int>().Length);
        Assert.Contains("Int64", error.Message);
    }

    [Fact]
    public void A_buffer_shorter_than_the_rows_is_refused()
    {
        var attachments = new List<ReadOnlyMemory<byte>>();
        var bytes = WireSerializer.Serialize(new TableBuilder().Add("x", new long[] { 1, 2, 3 }).Build(), attachments);
        attachments[0] = attachments[0][..16];
        var error = Assert.Throws<ZeroBridgeSerializationException>(() => WireSerializer.Deserialize<TableData>(bytes, attachments));
        Assert.Contains("16 bytes", error.Message);
    }

    [Fact]
    public void Without_attachment_frames_tables_fall_back_to_the_lists_layout()
    {
        var bytes = MessagePackSerializer.Serialize(Rows(3), WireSerializer.BaseOptions);
        var table = MessagePackSerializer.Deserialize<TableData>(bytes, WireSerializer.BaseOptions);
        Assert.Equal(3, table.RowCount);
        Assert.Equal(2L, table["Id"].Values[2]);
    }

    private static TableData RoundTrip(object value, bool dictionaryStrings, out int frames)
    {
        var attachments = new List<ReadOnlyMemory<byte>>();
        var bytes = WireSerializer.Serialize(value.GetType(), value, attachments, null, dictionaryStrings);
        frames = attachments.Count;
        return Assert.IsType<TableData>(WireSerializer.Deserialize<object>(bytes, attachments));
    }

    public sealed record Named(string? Name);

    [Fact]
    public void Repetitive_strings_travel_dictionary_encoded_only_when_the_peer_accepts_it()
    {
        string?[] pool = ["Customer 001", "", null, "日本語 😀", "Customer 002"];
        var rows = Enumerable.Range(0, 5000).Select(i => new Named(pool[i % pool.Length])).ToList();
        var plain = RoundTrip(rows, dictionaryStrings: false, out int plainFrames);
        var encoded = RoundTrip(rows, dictionaryStrings: true, out int encodedFrames);
        Assert.Equal(plainFrames + 1, encodedFrames); // the indices frame
        var expected = rows.Select(r => r.Name).ToArray();
        Assert.Equal(expected, plain["Name"].GetValues<string?>().ToArray());
        Assert.Equal(expected, encoded["Name"].GetValues<string?>().ToArray());
        Assert.Equal(1000, encoded["Name"].NullCount);
    }

    [Fact]
    public void Mostly_distinct_or_short_string_columns_stay_plain()
    {
        var distinct = Enumerable.Range(0, 10_000).Select(i => new Named($"name {i}")).ToList();
        RoundTrip(distinct, dictionaryStrings: false, out int plainFrames);
        var table = RoundTrip(distinct, dictionaryStrings: true, out int frames);
        Assert.Equal(plainFrames, frames);
        Assert.Equal("name 9999", table["Name"].GetValues<string?>()[9999]);

        var few = Enumerable.Repeat(new Named("same"), 10).ToList();
        RoundTrip(few, dictionaryStrings: false, out plainFrames);
        RoundTrip(few, dictionaryStrings: true, out frames);
        Assert.Equal(plainFrames, frames);

        Assert.False(ZeroBridge.Serialization.Columnar.ColumnarWriter.TryDictionary(distinct.Select(r => r.Name).ToArray(), out _, out _));
        Assert.True(ZeroBridge.Serialization.Columnar.ColumnarWriter.TryDictionary(Enumerable.Repeat("a", 100).Append("b").ToArray(), out var codes, out var values));
        Assert.Equal(["a", "b"], values);
        Assert.Equal(101 * sizeof(int), codes!.Length);
    }

    [Fact]
    public void Dictionary_codes_follow_the_text_whether_equal_strings_are_one_object_or_many()
    {
        // Shared objects (the identity table answers), equal copies (only the dictionary can), nulls, and more shared
        // objects than the identity table has slots (its slots collide); then a stretch of copies only, which turns the
        // identity table off part way: codes must map every equal text to one distinct value throughout.
        var names = Enumerable.Range(0, 6000).Select(i => $"name {i % 1500}").ToArray(); // 4 objects per text
        var values = new string?[200_000];
        for (int i = 0; i < values.Length; i++)
            values[i] = i % 17 == 0 ? null
                : i < 100_000 && i % 3 != 0 ? names[i % names.Length]
                : new string(names[i % names.Length].AsSpan());

        Assert.True(ZeroBridge.Serialization.Columnar.ColumnarWriter.TryDictionary(values, out var data, out var distinct));

        Assert.Equal(1500, distinct.Count);
        Assert.Equal(distinct.Count, distinct.Distinct().Count());
        var codes = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(data);
        for (int i = 0; i < values.Length; i++)
            Assert.Equal(values[i], codes[i] < 0 ? null : distinct[codes[i]]);
    }

    [Fact]
    public void Multi_byte_text_grows_the_utf8_buffer_and_round_trips()
    {
        var rows = Enumerable.Range(0, 3000).Select(i => new Named(i % 2 == 0 ? $"€日本{i}" : new string('é', i % 50))).ToList();
        var table = RoundTrip(rows, dictionaryStrings: true, out _);
        Assert.Equal(rows.Select(r => r.Name).ToArray(), table["Name"].GetValues<string?>().ToArray());
    }

    private static IEnumerable<Typed?> Lazily(List<Typed?> rows)
    {
        foreach (var row in rows)
            yield return row;
    }

    [Fact]
    public void Lists_arrays_and_lazy_sequences_of_records_give_the_same_table_null_records_included()
    {
        var rows = Rows(3000).Cast<Typed?>().ToList();
        rows[5] = null;
        rows[2999] = null;
        var fromList = RoundTrip(rows, out _);
        var fromArray = RoundTrip(rows.ToArray(), out _);
        var fromSequence = RoundTrip(Lazily(rows), out _);
        foreach (var table in new[] { fromList, fromArray, fromSequence })
        {
            Assert.Equal(3000, table.RowCount);
            Assert.True(table["Id"].IsNull(5) && table["Name"].IsNull(2999) && !table["Id"].IsNull(6));
            Assert.Equal(rows.Select(r => r?.Maybe).ToArray(),
                Enumerable.Range(0, 3000).Select(i => table["Maybe"].IsNull(i) ? null : (int?)table["Maybe"].GetValues<int>()[i]).ToArray());
            Assert.Equal(rows.Select(r => r?.Name).ToArray(), table["Name"].GetValues<string?>().ToArray());
        }
    }
}
