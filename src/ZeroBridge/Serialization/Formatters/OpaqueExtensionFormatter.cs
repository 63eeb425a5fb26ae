using MessagePack;
using MessagePack.Formatters;

namespace ZeroBridge.Serialization.Formatters;

/// <summary>Writes an <see cref="OpaqueExtension"/> back as the ext it was read from; reads any ext as one.</summary>
internal sealed class OpaqueExtensionFormatter : IMessagePackFormatter<OpaqueExtension?>
{
    public static readonly OpaqueExtensionFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, OpaqueExtension? value, MessagePackSerializerOptions options)
    {
        if (value is null)
            writer.WriteNil();
        else
            ExtensionValues.WriteExtension(ref writer, value.TypeCode, value.Data);
    }

    public OpaqueExtension? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
            return null;
        var (code, payload) = ExtensionValues.ReadExtension(ref reader);
        return new OpaqueExtension(code, payload);
    }
}
