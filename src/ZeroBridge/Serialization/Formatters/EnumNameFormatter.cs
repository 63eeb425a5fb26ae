using MessagePack;
using MessagePack.Formatters;

namespace ZeroBridge.Serialization.Formatters;

/// <summary>
/// Enums by member name (<c>"Shipped"</c>; flags as <c>"Read, Write"</c>), which reads well in Python and survives
/// renumbering. Reads names case-insensitively, and integers by value.
/// </summary>
internal sealed class EnumNameFormatter<T> : IMessagePackFormatter<T> where T : struct, Enum
{
    public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options) =>
        writer.Write(value.ToString());

    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.NextMessagePackType == MessagePackType.Integer)
        {
            long number = reader.ReadInt64();
            var value = (T)Enum.ToObject(typeof(T), number);
            return Enum.IsDefined(value) || typeof(T).IsDefined(typeof(FlagsAttribute), false)
                ? value
                : throw new MessagePackSerializationException($"{number} is not a value of {typeof(T).Name}.");
        }
        if (reader.NextMessagePackType != MessagePackType.String)
            throw new MessagePackSerializationException($"Expected str, got {WireTypeNames.Describe(reader.NextMessagePackType)}.");
        string text = reader.ReadString()!;
        return Enum.TryParse<T>(text, ignoreCase: true, out var parsed) && !long.TryParse(text, out _)
            ? parsed
            : throw new MessagePackSerializationException(
                $"'{text}' is not one of {string.Join(", ", Enum.GetNames<T>())}.");
    }
}
