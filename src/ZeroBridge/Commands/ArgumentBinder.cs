using MessagePack;
using ZeroBridge.Protocol;
using ZeroBridge.Serialization;

namespace ZeroBridge.Commands;

/// <summary>
/// Binds the arguments frame of a request (msgpack <c>[positional, keyword]</c>, docs/protocol.md §2) to the
/// parameters of a command, each value read straight into its parameter's declared type. Every failure names the
/// parameter, the type it expects and what arrived.
/// </summary>
internal static class ArgumentBinder
{
    private static object? ResolveService(CommandDescriptor command, CommandParameter parameter, CommandContext context)
    {
        var services = context.Services ?? throw new InvalidOperationException(
            $"{command.Name} asks for the service {parameter.Type.Name} ('{parameter.Name}'), but the registry has no service provider (create it with one, as AddZeroBridge does).");
        object? service = parameter.ServiceKey is { } key
            ? (services as Microsoft.Extensions.DependencyInjection.IKeyedServiceProvider)?.GetKeyedService(parameter.Type, key)
            : services.GetService(parameter.Type);
        return service ?? (parameter.IsNullable ? null : throw new InvalidOperationException(
            $"{command.Name} asks for the service {parameter.Type.Name} ('{parameter.Name}'), which is not registered."));
    }

    public static object?[] Bind(CommandDescriptor command, ReadOnlyMemory<byte>? argumentsFrame,
        IReadOnlyList<ReadOnlyMemory<byte>> attachments, CommandContext context)
    {
        var (positional, keyword) = Split(argumentsFrame);
        var arguments = command.Arguments.ToList();
        if (positional.Count > arguments.Count)
            throw new InvalidArgumentException("", "", $"{command.Name} takes {arguments.Count} argument(s) but {positional.Count} were given positionally.");

        var values = new object?[command.Parameters.Count];
        int argumentIndex = 0;
        for (int i = 0; i < command.Parameters.Count; i++)
        {
            var parameter = command.Parameters[i];
            switch (parameter.Source)
            {
                case ParameterSource.CancellationToken:
                    values[i] = context.CancellationToken;
                    continue;
                case ParameterSource.Context:
                    values[i] = context;
                    continue;
                case ParameterSource.Service:
                    values[i] = ResolveService(command, parameter, context);
                    continue;
            }

            ReadOnlyMemory<byte>? raw = null;
            bool byPosition = argumentIndex < positional.Count;
            if (byPosition)
                raw = positional[argumentIndex];
            if (keyword.Remove(parameter.Name, out var byName))
            {
                if (byPosition)
                    throw new InvalidArgumentException(parameter.Name, parameter.WireTypeName,
                        $"{command.Name} got argument '{parameter.Name}' both by position and by name.");
                raw = byName;
            }
            argumentIndex++;

            if (raw is null)
            {
                if (parameter.IsRequired)
                    throw new InvalidArgumentException(parameter.Name, parameter.WireTypeName,
                        $"{command.Name} is missing required argument '{parameter.Name}' ({parameter.WireTypeName}).");
                values[i] = parameter.DefaultValue;
                continue;
            }
            values[i] = Read(command, parameter, raw.Value, attachments);
        }

        if (keyword.Count > 0)
        {
            string unknown = keyword.Keys.First();
            var accepted = arguments.Select(p => p.Name).ToList();
            throw new InvalidArgumentException(unknown, "",
                $"{command.Name} got an unexpected argument '{unknown}'. It takes: {(accepted.Count == 0 ? "no arguments" : string.Join(", ", accepted))}.");
        }
        return values;
    }

    private static object? Read(CommandDescriptor command, CommandParameter parameter, ReadOnlyMemory<byte> raw,
        IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        var arrived = new MessagePackReader(raw).NextMessagePackType;
        if (arrived == MessagePackType.Nil && !parameter.IsNullable)
            throw new InvalidArgumentException(parameter.Name, parameter.WireTypeName,
                $"{command.Name}: argument '{parameter.Name}' must be {parameter.WireTypeName}, not None.");
        try
        {
            return WireSerializer.Deserialize(parameter.Type, raw, attachments);
        }
        catch (ZeroBridgeSerializationException ex) when (WireSerializer.Innermost(ex) is MissingAttachmentException missing)
        {
            throw Malformed(missing.Message.TrimEnd('.'));
        }
        catch (ZeroBridgeSerializationException ex)
        {
            // MessagePack's own words ("Unexpected msgpack code 161 (fixstr)") add nothing to "got str"; other
            // reasons (out of range, not an enum member) do.
            string reason = ex.Message.StartsWith("Unexpected msgpack code", StringComparison.Ordinal) ? "" : $" ({ex.Message})";
            throw new InvalidArgumentException(parameter.Name, parameter.WireTypeName,
                $"{command.Name}: argument '{parameter.Name}' must be {parameter.WireTypeName}; got {WireTypeNames.Describe(arrived)}{reason}.");
        }
    }

    /// <summary>Splits the frame into raw positional values and raw keyword values, without decoding them.</summary>
    private static (List<ReadOnlyMemory<byte>> Positional, Dictionary<string, ReadOnlyMemory<byte>> Keyword) Split(ReadOnlyMemory<byte>? frame)
    {
        var positional = new List<ReadOnlyMemory<byte>>();
        var keyword = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        if (frame is not { Length: > 0 } bytes)
            return (positional, keyword);
        try
        {
            var reader = new MessagePackReader(bytes);
            if (reader.NextMessagePackType != MessagePackType.Array || reader.ReadArrayHeader() != 2)
                throw Malformed("the arguments frame must be a msgpack array [positional, keyword]");
            if (!reader.TryReadNil())
            {
                if (reader.NextMessagePackType != MessagePackType.Array)
                    throw Malformed("positional arguments must be an array");
                int count = reader.ReadArrayHeader();
                for (int i = 0; i < count; i++)
                    positional.Add(HeaderMaps.ReadRaw(ref reader, bytes));
            }
            if (!reader.TryReadNil())
            {
                if (reader.NextMessagePackType != MessagePackType.Map)
                    throw Malformed("keyword arguments must be a map");
                int count = reader.ReadMapHeader();
                for (int i = 0; i < count; i++)
                {
                    if (reader.NextMessagePackType != MessagePackType.String)
                        throw Malformed("keyword argument names must be str");
                    string name = reader.ReadString()!;
                    if (!keyword.TryAdd(name, HeaderMaps.ReadRaw(ref reader, bytes)))
                        throw Malformed($"keyword argument '{name}' appears twice");
                }
            }
            if (!reader.End)
                throw Malformed("the arguments frame has bytes after [positional, keyword]");
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or OverflowException)
        {
            throw Malformed($"the arguments frame is not valid msgpack ({ex.Message})");
        }
        return (positional, keyword);
    }

    private static CommandException Malformed(string what) => new(ErrorCodes.BadRequest, $"Malformed request: {what}.");
}
