using MessagePack;
using MessagePack.Formatters;

namespace ZeroBridge.Serialization.Formatters;

/// <summary><c>byte[]</c> as bin, or as an attachment frame (ext 6) when large.</summary>
internal sealed class ByteArrayFormatter : IMessagePackFormatter<byte[]?>
{
    public static readonly ByteArrayFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, byte[]? value, MessagePackSerializerOptions options)
    {
        if (value is null)
            writer.WriteNil();
        else
            ExtensionValues.WriteBytes(ref writer, value, options);
    }

    public byte[]? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        reader.TryReadNil() ? null : ExtensionValues.ReadBytes(ref reader, options).ToArray();
}

/// <summary><see cref="ReadOnlyMemory{T}"/> of bytes; reading an attachment does not copy the frame.</summary>
internal sealed class ReadOnlyMemoryFormatter : IMessagePackFormatter<ReadOnlyMemory<byte>>
{
    public static readonly ReadOnlyMemoryFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, ReadOnlyMemory<byte> value, MessagePackSerializerOptions options) =>
        ExtensionValues.WriteBytes(ref writer, value, options);

    public ReadOnlyMemory<byte> Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        ExtensionValues.ReadBytes(ref reader, options);
}

/// <summary><see cref="Memory{T}"/> of bytes; reading copies, since the frames are read-only.</summary>
internal sealed class MemoryFormatter : IMessagePackFormatter<Memory<byte>>
{
    public static readonly MemoryFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, Memory<byte> value, MessagePackSerializerOptions options) =>
        ExtensionValues.WriteBytes(ref writer, value, options);

    public Memory<byte> Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        ExtensionValues.ReadBytes(ref reader, options).ToArray();
}
