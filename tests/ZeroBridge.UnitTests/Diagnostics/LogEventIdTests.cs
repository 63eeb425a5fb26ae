using System.Reflection;
using Microsoft.Extensions.Logging;

namespace ZeroBridge.UnitTests.Diagnostics;

/// <summary>
/// Every log entry ZeroBridge writes is a source-generated <see cref="LoggerMessageAttribute"/> method with its own
/// event id and name, so operators can filter and alert on an entry by id (docs/hosting.md, "Log event ids").
/// </summary>
public sealed class LogEventIdTests
{
    private static readonly Assembly[] Libraries =
    [
        typeof(ZeroBridge.Server.ZeroBridgeServer).Assembly,
        typeof(ZeroBridge.Scripting.ScriptHost<>).Assembly,
        typeof(ZeroBridge.Kernel.JupyterKernel).Assembly,
    ];

    private static IEnumerable<(MethodInfo Method, LoggerMessageAttribute Entry)> Entries() =>
        from assembly in Libraries
        from type in assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
        let entry = method.GetCustomAttribute<LoggerMessageAttribute>()
        where entry is not null
        select (method, entry);

    [Fact]
    public void Every_entry_has_an_event_id_and_name_of_its_own()
    {
        var entries = Entries().ToList();
        Assert.True(entries.Count > 50, $"only {entries.Count} log entries found");
        Assert.All(entries, e => Assert.True(e.Entry.EventId > 0 && !string.IsNullOrEmpty(e.Entry.EventName),
            $"{e.Method.DeclaringType!.Name}.{e.Method.Name} has no event id or name"));
        var sharedIds = entries.GroupBy(e => e.Entry.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method.Name))}");
        Assert.Empty(sharedIds);
        var sharedNames = entries.GroupBy(e => e.Entry.EventName).Where(g => g.Count() > 1).Select(g => g.Key);
        Assert.Empty(sharedNames);
    }

    [Fact]
    public void The_libraries_log_only_through_those_entries()
    {
        // A call such as logger.LogWarning("...") compiles to LoggerExtensions; the generated entries never do.
        var extensions = typeof(LoggerExtensions);
        var callers = new List<string>();
        foreach (var assembly in Libraries)
            foreach (var type in assembly.GetTypes())
                foreach (var method in type.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public
                                                       | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                    if (Calls(method, extensions))
                        callers.Add($"{type.FullName}.{method.Name}");
        Assert.Empty(callers);
    }

    private static bool Calls(MethodInfo method, Type target)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (Exception ex) when (ex is InvalidOperationException or BadImageFormatException)
        {
            return false;
        }
        if (il is null)
            return false;
        // call / callvirt followed by a metadata token: resolve each and compare the declaring type.
        for (int i = 0; i + 4 < il.Length; i++)
        {
            if (il[i] is not (0x28 or 0x6F))
                continue;
            int token = BitConverter.ToInt32(il, i + 1);
            try
            {
                if (method.Module.ResolveMethod(token, method.DeclaringType?.GetGenericArguments(), method.IsGenericMethod ? method.GetGenericArguments() : null)
                    is { } called && called.DeclaringType == target)
                    return true;
            }
            catch (Exception ex) when (ex is ArgumentException or BadImageFormatException or MissingMethodException or TypeLoadException)
            {
                // not a method token at this offset: the byte was an operand of another instruction
            }
        }
        return false;
    }
}
