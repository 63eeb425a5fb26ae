// Roslyn alone on the kernel's warm cell: `1 + 1` compiled (parse, bind, emit, load) and run as a continuation of a
// session, with the standalone kernel's globals, references and imports, each continuation passing no references it
// inherits and left out of the chain (it declares nothing), as ScriptEngine does. Prints one line of JSON:
// median and p90 milliseconds per cell (wall and the thread's CPU) over the cells after a warm-up.
//     dotnet bin/Release/net10.0/RoslynCell.dll [cells] [warm-up cells]
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using ZeroBridge.Kernel;

int cells = args.Length > 0 ? int.Parse(args[0]) : 300;
int warmUp = args.Length > 1 ? int.Parse(args[1]) : 100;
var globals = new StandaloneGlobals();
var options = ZeroBridge.Scripting.CachingMetadataResolver.DefaultOptions
    .AddReferences(typeof(StandaloneGlobals).Assembly, typeof(ZeroBridge.Scripting.ScriptGuard).Assembly, typeof(ZeroBridge.Serialization.TableData).Assembly)
    .AddImports(JupyterKernelOptions.Default.Imports)
    .WithOptimizationLevel(OptimizationLevel.Release);
var session = await CSharpScript.RunAsync<object>("using static ZeroBridge.Kernel.Display.DisplayFunctions;", options, globals);
var continuation = options.WithReferences(Array.Empty<MetadataReference>());

var wall = new List<double>();
var cpu = new List<double>();
for (int i = 0; i < warmUp + cells; i++)
{
    long started = Stopwatch.GetTimestamp(), cpuStarted = ThreadCpu.Nanoseconds();
    var state = await session.Script.ContinueWith<object>("1 + 1", continuation).RunFromAsync(session);
    double cpuMs = (ThreadCpu.Nanoseconds() - cpuStarted) / 1e6, wallMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    if (!Equals(state.ReturnValue, 2))
        throw new InvalidOperationException($"1 + 1 gave {state.ReturnValue}");
    if (i >= warmUp)
    {
        wall.Add(wallMs);
        cpu.Add(cpuMs);
    }
}

Console.WriteLine(JsonSerializer.Serialize(new
{
    cells,
    wall_ms_p50 = Percentile(wall, 0.5),
    wall_ms_p90 = Percentile(wall, 0.9),
    thread_cpu_ms_p50 = Percentile(cpu, 0.5),
    gc_pause_ms_per_cell = Math.Round(GC.GetTotalPauseDuration().TotalMilliseconds / (warmUp + cells), 3),
}));

static double Percentile(List<double> values, double q)
{
    var sorted = values.Order().ToList();
    return Math.Round(sorted[(int)(q * (sorted.Count - 1))], 3);
}

/// <summary>The calling thread's CPU time (Linux and macOS; 0 elsewhere), to tell Roslyn's work from waiting for the machine.</summary>
internal static class ThreadCpu
{
    private const int ClockThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID

    public static long Nanoseconds()
    {
        if (OperatingSystem.IsWindows())
            return 0;
        return clock_gettime(ClockThreadCpuTime, out var time) == 0 ? time.Seconds * 1_000_000_000 + time.Nanoseconds : 0;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int clock_gettime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
