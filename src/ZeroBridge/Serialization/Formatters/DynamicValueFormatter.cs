using System.Buffers;
using MessagePack;
using MessagePack.Formatters;

namespace ZeroBridge.Serialization.Formatters;

/// <summary>
/// The formatter for <see cref="object"/>: writes a value by its run-time type, and reads any msgpack value into
/// the natural .NET type (integers as <see cref="long"/>, or <see cref="ulong"/> above its range; maps with str keys
/// as <c>Dictionary&lt;string, object?&gt;</c>; arrays as <c>object?[]</c>; ext types as their .NET types).
/// Never creates a type the peer names: only these fixed types come out.
/// </summary>
internal sealed class DynamicValueFormatter : IMessagePackFormatter<object?>
{
    public static readonly DynamicValueFormatter Instance = new();

    /// <summary>
    /// How deep values written through <see cref="object"/> may nest (128: a thread-pool thread's stack holds it with room to
    /// spare; 500, the reading limit, overflowed it for nested dictionaries). MessagePack limits depth only when reading; a
    /// result that contains itself (a list holding itself) would otherwise recurse until the stack overflows, which
    /// no <c>catch</c> stops and which ends the whole application's process.
    /// </summary>
    internal const int MaxWriteDepth = 128;

    /// <summary>The nesting of the value being written on this thread (writing is synchronous, so one thread).</summary>
    [ThreadStatic]
    private static int _writeDepth;

    public void Serialize(ref MessagePackWriter writer, object? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        var type = value.GetType();
        if (type == typeof(object))
        {
            writer.WriteMapHeader(0); // A bare object has no properties; dispatching on its type would recurse.
            return;
        }
        if (_writeDepth >= MaxWriteDepth)
            throw new MessagePackSerializationException(
                $"The value nests more than {MaxWriteDepth} levels deep; does it contain itself?");
        _writeDepth++;
        try
        {
            MessagePackSerializer.Serialize(type, ref writer, value, options);
        }
        finally
        {
            _writeDepth--;
        }
    }

    public object? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return null;
            case MessagePackType.Boolean:
                return reader.ReadBoolean();
            case MessagePackType.Integer:
                if (reader.NextCode != MessagePackCode.UInt64)
                    return reader.ReadInt64();
                ulong unsigned = reader.ReadUInt64();
                return unsigned > long.MaxValue ? unsigned : (object)(long)unsigned;
            case MessagePackType.Float:
                return reader.NextCode == MessagePackCode.Float32 ? reader.ReadSingle() : reader.ReadDouble();
            case MessagePackType.String:
                return reader.ReadString();
            case MessagePackType.Binary:
                return reader.ReadBytes()!.Value.ToArray();
            case MessagePackType.Array:
                return ReadArray(ref reader, options);
            case MessagePackType.Map:
                return ReadMap(ref reader, options);
            case MessagePackType.Extension:
                return ReadExtension(ref reader, options);
            default:
                throw new MessagePackSerializationException($"Unexpected msgpack code 0x{reader.NextCode:x2}.");
        }
    }

    private object?[] ReadArray(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        int count = reader.ReadArrayHeader();
        options.Security.DepthStep(ref reader);
        try
        {
            var items = new object?[count];
            for (int i = 0; i < count; i++)
                items[i] = Deserialize(ref reader, options);
            return items;
        }
        finally
        {
            reader.Depth--;
        }
    }

    private object ReadMap(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        int count = reader.ReadMapHeader();
        options.Security.DepthStep(ref reader);
        try
        {
            var keys = new object?[count];
            var values = new object?[count];
            bool allStrings = true;
            for (int i = 0; i < count; i++)
            {
                keys[i] = Deserialize(ref reader, options);
                values[i] = Deserialize(ref reader, options);
                allStrings &= keys[i] is string;
            }
            if (allStrings)
            {
                var byName = new Dictionary<string, object?>(count, StringComparer.Ordinal);
                for (int i = 0; i < count; i++)
                    byName[(string)keys[i]!] = values[i];
                return byName;
            }
            var byKey = new Dictionary<object, object?>(count);
            for (int i = 0; i < count; i++)
                byKey[keys[i] ?? throw new MessagePackSerializationException("A map key is nil.")] = values[i];
            return byKey;
        }
        finally
        {
            reader.Depth--;
        }
    }

    private static object ReadExtension(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.CreatePeekReader().ReadExtensionFormatHeader().TypeCode == ExtensionTypeCodes.Table)
            return TableDataFormatter.Instance.Deserialize(ref reader, options)!;
        var (code, payload) = ExtensionValues.ReadExtension(ref reader);
        return code switch
        {
            ExtensionTypeCodes.DateTime => ExtensionValues.DecodeDateTime(payload).ToObject(),
            ExtensionTypeCodes.Timestamp => ExtensionValues.DecodeTimestamp(payload).ToDateTimeOffset(),
            ExtensionTypeCodes.TimeSpan => new TimeSpan(ExtensionValues.DecodeTicks(payload)),
            ExtensionTypeCodes.Decimal => ExtensionValues.DecodeDecimal(payload),
            ExtensionTypeCodes.Uuid => ExtensionValues.DecodeGuid(payload),
            ExtensionTypeCodes.Attachment => ExtensionValues.DecodeAttachment(payload, options).ToArray(),
            _ => new OpaqueExtension(code, payload), // unknown to us: kept as it came (docs/protocol.md §4.1)
        };
    }
}
