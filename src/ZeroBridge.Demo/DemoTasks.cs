using System.ComponentModel;
using ZeroBridge.Commands;

namespace ZeroBridge.Demo;

/// <summary>Task kinds a demo worker (<c>zbridge task-worker</c>) runs: small, CPU-light functions for trying the task pool.</summary>
public static class DemoTasks
{
    /// <summary>Registers <c>square</c>, <c>sleep</c>, <c>fail</c> and <c>echo</c>.</summary>
    public static CommandRegistry AddDemoTasks(this CommandRegistry commands) => commands
        .Add("square", [Description("x * x.")] (long x) => x * x)
        .Add("sleep", [Description("Waits ms milliseconds, then returns value.")] async (int ms, CancellationToken cancellation, object? value = null) =>
        {
            await Task.Delay(ms, cancellation).ConfigureAwait(false);
            return value;
        })
        .Add("fail", Fail)
        .Add("echo", [Description("Returns its argument unchanged.")] (object? value) => value);

    [Description("Always throws: an error result.")]
    private static object? Fail(string message) => throw new InvalidOperationException(message);
}
