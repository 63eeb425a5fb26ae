using System.ComponentModel;
using ZeroBridge.Commands;

namespace ZeroBridge.TestHost;

/// <summary>A colour, for enum round trips.</summary>
public enum Color { Red, Green, Blue }

/// <summary>A small record, for record and table round trips.</summary>
public sealed record Point(double X, double Y, string? Label);

/// <summary>Fixture commands: typed echoes, C#-made samples of every type, and failure modes.</summary>
public static class TestCommands
{
    /// <summary>Registers typed.*, types.* and test.* commands.</summary>
    public static CommandRegistry AddTestCommands(this CommandRegistry commands)
    {
        commands
            .Add("typed.int8", (sbyte value) => value)
            .Add("typed.uint8", (byte value) => value)
            .Add("typed.int16", (short value) => value)
            .Add("typed.uint16", (ushort value) => value)
            .Add("typed.int32", (int value) => value)
            .Add("typed.uint32", (uint value) => value)
            .Add("typed.int64", (long value) => value)
            .Add("typed.uint64", (ulong value) => value)
            .Add("typed.float32", (float value) => value)
            .Add("typed.float64", (double value) => value)
            .Add("typed.decimal", (decimal value) => value)
            .Add("typed.bool", (bool value) => value)
            .Add("typed.string", (string value) => value)
            .Add("typed.char", (char value) => value)
            .Add("typed.bytes", (byte[] value) => value)
            .Add("typed.memory", (ReadOnlyMemory<byte> value) => value)
            .Add("typed.datetime", (DateTime value) => value)
            .Add("typed.datetimeoffset", (DateTimeOffset value) => value)
            .Add("typed.timespan", (TimeSpan value) => value)
            .Add("typed.guid", (Guid value) => value)
            .Add("typed.color", (Color value) => value)
            .Add("typed.int_array", (int[] value) => value)
            .Add("typed.string_list", (List<string> value) => value)
            .Add("typed.int_map", (Dictionary<string, int> value) => value)
            .Add("typed.tuple", ((int, string) value) => value)
            .Add("typed.point", (Point value) => value)
            .Add("typed.nullable_int", (int? value) => value)
            .Add("typed.points", (List<Point> value) => value);

        commands
            .Add("types.sample", [Description("A value of the named kind, made in C#.")] (string kind) => Sample(kind))
            .Add("types.describe", [Description("What C# received: its type and invariant text.")] (object? value) =>
                new Dictionary<string, object?>
                {
                    ["clr"] = value?.GetType().Name ?? "null",
                    ["text"] = value is IFormattable f ? f.ToString(null, System.Globalization.CultureInfo.InvariantCulture) : value?.ToString(),
                });

        return commands
            .Add("test.sleep", [Description("Sleeps cooperatively, honouring cancellation.")] async (double seconds, CancellationToken cancellationToken) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
                return seconds;
            })
            .Add("test.block", [Description("Blocks the thread for the given seconds, ignoring cancellation.")] (double seconds) =>
            {
                Thread.Sleep(TimeSpan.FromSeconds(seconds));
                return seconds;
            })
            .Add("test.unserializable", [Description("Returns a value whose property throws when read: it cannot be serialized.")] () =>
                new Unreadable())
            .Add("test.fail", (string message) => ThrowInvalid(message))
            .Add("test.own_timeout", [Description("Returns its parameter named timeout, a name clients also use for a per-call option.")]
                (double timeout) => timeout)
            .Add("test.blob", (int size) => Enumerable.Range(0, size).Select(i => (byte)(i % 251)).ToArray())
            .Add("test.length", (byte[] data) => data.Length);
    }

    private static int ThrowInvalid(string message) => throw new InvalidOperationException(message);

    /// <summary>A result no serializer can write.</summary>
    private sealed class Unreadable
    {
        public int Value => throw new InvalidOperationException("this value cannot be read");
    }

    private static readonly DateTime UtcSample = new(2024, 3, 1, 12, 34, 56, 789, DateTimeKind.Utc);

    private static object? Sample(string kind) => kind switch
    {
        "null" => null,
        "int64_max" => long.MaxValue,
        "uint64_max" => ulong.MaxValue,
        "int32_min" => int.MinValue,
        "double_nan" => double.NaN,
        "double_infinity" => double.PositiveInfinity,
        "double_negative_infinity" => double.NegativeInfinity,
        "float32" => 1.5f,
        "decimal" => 12345.6789m,
        "datetime_utc" => UtcSample,
        "datetime_unspecified" => new DateTime(2024, 3, 1, 12, 34, 56, DateTimeKind.Unspecified),
        "datetimeoffset" => new DateTimeOffset(2024, 3, 1, 12, 34, 56, TimeSpan.FromHours(2)),
        "timespan" => new TimeSpan(1, 2, 3, 4, 500),
        "guid" => Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
        "enum" => Color.Green,
        "bytes" => Enumerable.Range(0, 10).Select(i => (byte)i).ToArray(),
        "tuple" => (1, "two"),
        "record" => new Point(1.5, -2, "p"),
        "dictionary" => new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 },
        "nested" => new Dictionary<string, object?>
        {
            ["points"] = Points(),
            ["tags"] = new[] { "x", "y" },
            ["when"] = UtcSample,
        },
        "records" => Points(),
        "empty_records" => new List<Point>(),
        "nullable_null" => (int?)null,
        _ => throw new NotFoundException($"No sample of kind '{kind}'."),
    };

    private static List<Point> Points() => [new(1, 2, "a"), new(3.5, -4, null), new(0, 0, "ü")];
}
