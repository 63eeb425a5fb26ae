// Roslyn alone on the kernel's warm cell: `1 + 1` compiled (parse, bind, emit, load) and run as a continuation of a
// session, with the standalone kernel's globals, references and imports, as ScriptEngine does (ScriptSubmission: a
// cell that declares nothing is compiled from a template and left out of the chain). Mode "api" runs the same cell
// through Roslyn's scripting API instead (Script.ContinueWith + RunFromAsync, passing no inherited references), the
// kernel's path before stop 13; mode "engine-thread" runs each cell as "engine" but on a new thread (the kernel's
// per-cell thread before stop 13; its thread CPU is then the cell thread's). Prints one line of JSON: median and p90 milliseconds per cell (wall and the thread's
// CPU) and the process's CPU per cell (Roslyn's concurrent build uses other threads) over the cells after a warm-up.
//     dotnet bin/Release/net10.0/RoslynCell.dll [cells] [warm-up cells] [engine|api|engine-thread]
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using ZeroBridge.Kernel;
using ZeroBridge.Scripting;

int cells = args.Length > 0 ? int.Parse(args[0]) : 300;
int warmUp = args.Length > 1 ? int.Parse(args[1]) : 100;
string mode = args.Length > 2 ? args[2] : "engine";
var globals = new StandaloneGlobals();
var options = CachingMetadataResolver.DefaultOptions
    .AddReferences(typeof(StandaloneGlobals).Assembly, typeof(ScriptGuard).Assembly, typeof(ZeroBridge.Serialization.TableData).Assembly)
    .AddImports(JupyterKernelOptions.Default.Imports)
    .WithOptimizationLevel(OptimizationLevel.Release);
const string Preamble = "using static ZeroBridge.Kernel.Display.DisplayFunctions;";
var session = await CSharpScript.RunAsync<object>(Preamble, options, globals);
var continuation = options.WithReferences(Array.Empty<MetadataReference>());
var engineSession = await ScriptSubmission.RunAsync(null, Preamble, options, globals, null, CancellationToken.None);

var wall = new List<double>();
TimeSpan processCpuAtWarm = TimeSpan.Zero;
var cpu = new List<double>();
var cellThreadCpu = new List<double>();
for (int i = 0; i < warmUp + cells; i++)
{
    if (i == warmUp)
        processCpuAtWarm = Process.GetCurrentProcess().TotalProcessorTime;
    long started = Stopwatch.GetTimestamp(), cpuStarted = ThreadCpu.Nanoseconds();
    object? value = mode == "api"
        ? (await session.Script.ContinueWith<object>("1 + 1", continuation).RunFromAsync(session)).ReturnValue
        : mode == "engine-thread"
            ? await Task.Factory.StartNew(async () =>
            {
                long cellCpuStarted = ThreadCpu.Nanoseconds();
                var cellValue = (await ScriptSubmission.RunAsync(engineSession, "1 + 1", options, globals, null, CancellationToken.None)).ReturnValue;
                lock (cellThreadCpu)
                    cellThreadCpu.Add((ThreadCpu.Nanoseconds() - cellCpuStarted) / 1e6);
                return cellValue;
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()
        : (await ScriptSubmission.RunAsync(engineSession, "1 + 1", options, globals, null, CancellationToken.None)).ReturnValue;
    double cpuMs = (ThreadCpu.Nanoseconds() - cpuStarted) / 1e6, wallMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    if (!Equals(value, 2))
        throw new InvalidOperationException($"1 + 1 gave {value}");
    if (i >= warmUp)
    {
        wall.Add(wallMs);
        cpu.Add(cpuMs);
    }
}

Console.WriteLine(JsonSerializer.Serialize(new
{
    cells,
    mode,
    wall_ms_p50 = Percentile(wall, 0.5),
    wall_ms_p90 = Percentile(wall, 0.9),
    thread_cpu_ms_p50 = Percentile(mode == "engine-thread" ? cellThreadCpu.Skip(warmUp).ToList() : cpu, 0.5),
    process_cpu_ms_per_cell = Math.Round((Process.GetCurrentProcess().TotalProcessorTime - processCpuAtWarm).TotalMilliseconds / cells, 3),
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
