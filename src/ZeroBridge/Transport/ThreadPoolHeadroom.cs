using Microsoft.Extensions.Logging;

namespace ZeroBridge.Transport;

/// <summary>
/// Keeps threads in the .NET thread pool for socket I/O while commands block the ones they run on.
/// </summary>
/// <remarks>
/// Commands run on the thread pool, and an application's command may be a plain method that blocks (a query, a file
/// read). NetMQ's socket I/O completes on the same pool: when every pool thread is blocked in a command, no message
/// moves until the pool injects another thread (about two a second), so replies, heartbeats and credits stall. Each
/// component that runs commands reserves as many threads as it runs commands at once, on top of one per processor;
/// the pool's minimum is raised to that (never lowered: a minimum only lets the pool create threads without delay).
/// <para>The pool is the whole process's, so the change is logged, and an application that manages the pool itself
/// turns it off with the AppContext switch <see cref="DisableSwitch"/> (in the project file:
/// <c>&lt;RuntimeHostConfigurationOption Include="ZeroBridge.DisableThreadPoolHeadroom" Value="true" /&gt;</c>).</para>
/// </remarks>
internal static class ThreadPoolHeadroom
{
    /// <summary>The AppContext switch that leaves the thread pool's minimum alone.</summary>
    public const string DisableSwitch = "ZeroBridge.DisableThreadPoolHeadroom";

    private static int _reserved;

    /// <summary>Reserves <paramref name="commands"/> more threads for commands that may block.</summary>
    public static void Reserve(int commands, ILogger logger)
    {
        int needed = Environment.ProcessorCount + Interlocked.Add(ref _reserved, Math.Max(0, commands));
        if (AppContext.TryGetSwitch(DisableSwitch, out bool disabled) && disabled)
            return;
        ThreadPool.GetMinThreads(out int workers, out int completions);
        if (workers < needed && ThreadPool.SetMinThreads(needed, completions))
            TransportLog.ThreadPoolMinimumRaised(logger, workers, needed, DisableSwitch);
    }
}
