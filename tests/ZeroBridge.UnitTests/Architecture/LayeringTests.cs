using System.Reflection;
using System.Reflection.Emit;
using ZeroBridge.Execution;

namespace ZeroBridge.UnitTests.Architecture;

/// <summary>
/// "Arrows point down only" (docs/architecture.md), checked on the compiled assembly: every type each folder's code
/// touches (signatures, base types, and the types, methods and fields its method bodies refer to, read from the IL)
/// must live in the same folder or a lower layer. Drivers sit side by side and may not use one another.
/// </summary>
public class LayeringTests
{
    /// <summary>Each folder (namespace under ZeroBridge) and its layer, lowest first. The root holds the exceptions.</summary>
    private static readonly Dictionary<string, int> Layers = new()
    {
        ["Transport"] = 0,
        ["Protocol"] = 1, [""] = 1, ["Security"] = 1,
        ["Serialization"] = 2,
        ["Commands"] = 3,
        ["Execution"] = 4,
        ["Server"] = 5, ["Client"] = 5, ["Majordomo"] = 5, ["Streams"] = 5, ["Tasks"] = 5,
        ["Hosting"] = 6,
    };

    /// <summary>The layer of the drivers, which own sockets and envelopes and must not use each other.</summary>
    private const int DriverLayer = 5;

    [Fact]
    public void No_folder_uses_a_folder_above_it_and_no_driver_uses_another()
    {
        var assembly = typeof(CommandExecutor).Assembly;
        var violations = new SortedSet<string>();
        foreach (var type in assembly.GetTypes())
        {
            if (Folder(type) is not { } from)
                continue;
            foreach (var used in References(type))
            {
                if (used.Assembly != assembly || Folder(used) is not { } to || to == from)
                    continue;
                if (!Layers.TryGetValue(from, out int a) || !Layers.TryGetValue(to, out int b))
                    violations.Add($"{from} or {to} has no layer: add it to {nameof(Layers)} and to docs/architecture.md");
                else if (b > a || (b == a && a == DriverLayer))
                    violations.Add($"{from} uses {to}: {type.FullName} -> {used.FullName}");
            }
        }
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    /// <summary>The folder of a type: the namespace segment after "ZeroBridge" ("" for the root); null outside.</summary>
    private static string? Folder(Type type)
    {
        string? ns = type.Namespace;
        if (ns is null || (ns != "ZeroBridge" && !ns.StartsWith("ZeroBridge.", StringComparison.Ordinal)))
            return null;
        return ns == "ZeroBridge" ? "" : ns.Split('.')[1];
    }

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
                                     BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static IEnumerable<Type> References(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || !found.Add(t))
                return;
            if (t.HasElementType)
                Add(t.GetElementType());
            if (t.IsGenericType)
                foreach (var argument in t.GetGenericArguments())
                    Add(argument);
        }

        Add(type.BaseType);
        foreach (var i in type.GetInterfaces())
            Add(i);
        foreach (var field in type.GetFields(All))
            Add(field.FieldType);
        foreach (var property in type.GetProperties(All))
            Add(property.PropertyType);
        foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (method is MethodInfo info)
                Add(info.ReturnType);
            foreach (var parameter in method.GetParameters())
                Add(parameter.ParameterType);
            foreach (var used in BodyReferences(method))
                Add(used);
        }
        return found;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The types a method body names: the declaring types of the methods and fields it uses, and the types it mentions.</summary>
    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
            yield break;
        var module = method.Module;
        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int at = 0; at < il.Length;)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += il[at] == 0xFE ? 2 : 1;
            var opcode = OpCodesByValue[value];
            switch (opcode.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    MemberInfo? member = null;
                    try
                    {
                        member = module.ResolveMember(BitConverter.ToInt32(il, at), typeArguments, methodArguments);
                    }
                    catch (ArgumentException)
                    {
                    }
                    if (member is Type t)
                        yield return t;
                    else if (member?.DeclaringType is { } declaring)
                        yield return declaring;
                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + 4 * BitConverter.ToInt32(il, at);
                    break;
                default:
                    at += opcode.OperandType switch
                    {
                        OperandType.InlineNone => 0,
                        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                        OperandType.InlineVar => 2,
                        OperandType.InlineI8 or OperandType.InlineR => 8,
                        _ => 4,
                    };
                    break;
            }
        }
    }
}
