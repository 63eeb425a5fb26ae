using MessagePack;
using ZeroBridge.Serialization;
using ZeroBridge.TestRecords;

namespace ZeroBridge.UnitTests.Serialization;

public sealed record Sample(int Id, string Name, DateTime At, decimal Amount, int? Maybe);

public class WireSerializerTests
{
    private static T? RoundTrip<T>(T value)
    {
        var attachments = new List<ReadOnlyMemory<byte>>();
        var bytes = WireSerializer.Serialize(typeof(T), value, attachments);
        return WireSerializer.Deserialize<T>(bytes, attachments);
    }

    private static object? AsObject(object? value)
    {
        var attachments = new List<ReadOnlyMemory<byte>>();
        var bytes = WireSerializer.Serialize(value, attachments);
        return WireSerializer.Deserialize<object>(bytes, attachments);
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(0L)]
    public void Integers_round_trip_at_their_limits(long value) => Assert.Equal(value, RoundTrip(value));

    [Fact]
    public void A_value_that_contains_itself_is_a_serialization_error_not_a_stack_overflow()
    {
        var list = new List<object?> { 1 };
        list.Add(list);
        var dictionary = new Dictionary<string, object?> { ["n"] = 1 };
        dictionary["self"] = dictionary;
        Assert.Throws<ZeroBridgeSerializationException>(() => WireSerializer.Serialize(typeof(object), list, []));
        Assert.Throws<ZeroBridgeSerializationException>(() => WireSerializer.Serialize(typeof(object), dictionary, []));
        // Deep but finite nesting below the limit still writes.
        object? nested = 1;
        for (int i = 0; i < 120; i++)
            nested = i % 2 == 0 ? new List<object?> { nested } : new Dictionary<string, object?> { ["next"] = nested };
        Assert.NotEmpty(WireSerializer.Serialize(typeof(object), nested, []));
    }

    public sealed class Node
    {
        public string Name { get; set; } = "";
        public Node? Next { get; set; }
        public List<Node> Children { get; set; } = [];
    }

    [Fact]
    public void A_typed_graph_that_contains_itself_is_a_serialization_error_not_a_stack_overflow()
    {
        var loop = new Node { Name = "a" };
        loop.Next = new Node { Name = "b", Next = loop };
        var parent = new Node { Name = "parent" };
        parent.Children.Add(parent);
        Assert.Throws<ZeroBridgeSerializationException>(() => WireSerializer.Serialize(typeof(Node), loop, []));
        Assert.Throws<ZeroBridgeSerializationException>(() => WireSerializer.Serialize(typeof(Node), parent, []));
        Assert.Throws<ZeroBridgeSerializationException>(() => WireSerializer.Serialize(typeof(object), loop, []));
        var chain = new Node { Name = "0" };
        for (int i = 1; i < 200; i++)
            chain = new Node { Name = i.ToString(System.Globalization.CultureInfo.InvariantCulture), Next = chain };
        Assert.NotEmpty(WireSerializer.Serialize(typeof(Node), chain, [])); // deep but finite still writes
    }

    [Fact]
    public void Unsigned_64_bit_maximum_survives_as_object() => Assert.Equal(ulong.MaxValue, AsObject(ulong.MaxValue));

    [Fact]
    public void Decimal_keeps_its_scale() => Assert.Equal("12.3400", RoundTrip(12.3400m).ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void Utc_datetime_stays_utc()
    {
        var value = new DateTime(2024, 3, 1, 12, 0, 0, DateTimeKind.Utc).AddTicks(1234567);
        var back = RoundTrip(value);
        Assert.Equal(DateTimeKind.Utc, back.Kind);
        Assert.Equal(value, back);
    }

    [Fact]
    public void Naive_datetime_stays_naive()
    {
        var value = new DateTime(2024, 3, 1, 12, 0, 0, DateTimeKind.Unspecified);
        Assert.IsType<DateTime>(AsObject(value));
        Assert.Equal(DateTimeKind.Unspecified, RoundTrip(value).Kind);
    }

    [Fact]
    public void DateTimeOffset_keeps_its_offset()
    {
        var value = new DateTimeOffset(2024, 3, 1, 12, 0, 0, TimeSpan.FromMinutes(-330));
        var back = Assert.IsType<DateTimeOffset>(AsObject(value));
        Assert.Equal(value.Offset, back.Offset);
        Assert.Equal(value, back);
    }

    [Fact]
    public void Datetime_ext_is_ticks_then_offset_big_endian()
    {
        var bytes = WireSerializer.Serialize(new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.FromHours(-1)).AddTicks(258), []);
        // ext 8 (0xc7), length 10, type 1; int64 ticks 258; int16 offset -60
        Assert.Equal(new byte[] { 0xc7, 10, 1, 0, 0, 0, 0, 0, 0, 1, 2, 0xff, 0xc4 }, bytes);
    }

    [Fact]
    public void TimeSpan_guid_and_enum_round_trip()
    {
        Assert.Equal(TimeSpan.FromDays(-1.5), RoundTrip(TimeSpan.FromDays(-1.5)));
        var guid = Guid.NewGuid();
        Assert.Equal(guid, RoundTrip(guid));
        Assert.Equal(Shade.Dark, RoundTrip(Shade.Dark));
        Assert.Equal("Dark", AsObject(Shade.Dark));
    }

    [Fact]
    public void Guid_travels_in_rfc_4122_order()
    {
        var guid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        var bytes = WireSerializer.Serialize(guid, []);
        Assert.Equal(Convert.FromHexString("D8040011223344556677 8899AABBCCDDEEFF".Replace(" ", "")), bytes);
    }

    [Fact]
    public void Large_byte_arrays_travel_as_attachments()
    {
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();
        var attachments = new List<ReadOnlyMemory<byte>>();
        var bytes = WireSerializer.Serialize(data, attachments);
        Assert.Single(attachments);
        Assert.True(bytes.Length < 16);
        Assert.Equal(data, WireSerializer.Deserialize<byte[]>(bytes, attachments));
    }

    [Fact]
    public void A_reference_to_a_missing_attachment_is_an_error()
    {
        var attachments = new List<ReadOnlyMemory<byte>>();
        var bytes = WireSerializer.Serialize(new byte[70_000], attachments);
        Assert.Throws<ZeroBridgeSerializationException>(() => WireSerializer.Deserialize<byte[]>(bytes, []));
    }

    [Fact]
    public void Sequences_of_records_become_tables_and_back()
    {
        var rows = new List<Sample>
        {
            new(1, "ü", new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), 1.5m, null),
            new(2, "b", new DateTime(2024, 1, 2, 0, 0, 0, DateTimeKind.Utc), 2m, 7),
        };
        var table = Assert.IsType<TableData>(AsObject(rows));
        Assert.Equal(2, table.RowCount);
        Assert.Equal(["Id", "Name", "At", "Amount", "Maybe"], table.Columns.Select(c => c.Name));
        Assert.Equal(ColumnTypes.Int32, table["Id"].Type);
        Assert.Equal(ColumnTypes.DateTimeTz, table["At"].Type);
        Assert.True(table["Maybe"].Nullable);
        Assert.False(table["Id"].Nullable);
        Assert.Equal(rows, RoundTrip(rows));
    }

    [Fact]
    public void Linq_results_serialize_as_lists_or_tables()
    {
        Assert.Equal(new object?[] { 2L, 4L }, AsObject(new[] { 1, 2 }.Select(i => i * 2)));
        Assert.IsType<TableData>(AsObject(new[] { 1 }.Select(i => new { Id = i })));
    }

    [Fact]
    public void Records_are_maps_of_their_properties()
    {
        var map = Assert.IsType<Dictionary<string, object?>>(AsObject(new Sample(1, "a", DateTime.UnixEpoch, 1m, null)));
        Assert.Equal(1L, map["Id"]);
        Assert.Null(map["Maybe"]);
    }

    [Fact]
    public void Deeply_nested_input_is_refused_not_a_stack_overflow()
    {
        var bytes = Enumerable.Repeat((byte)0x91, 100_000).Append((byte)0xc0).ToArray(); // [[[[...nil]]]]
        Assert.Throws<ZeroBridgeSerializationException>(() => WireSerializer.Deserialize<object>(bytes, []));
    }

    [Fact]
    public void Truncated_input_is_a_serialization_error()
    {
        var bytes = MessagePackSerializer.Serialize(new[] { 1, 2, 3 })[..^1];
        Assert.Throws<ZeroBridgeSerializationException>(() => WireSerializer.Deserialize<object>(bytes, []));
    }
}
