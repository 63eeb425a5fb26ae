namespace ZeroBridge.Transport;

/// <summary>
/// Gives the operating system back the memory of replies dropped with a connection that was closed for not reading.
/// </summary>
/// <remarks>
/// <para>Such replies can be hundreds of megabytes (bench/hoarders.py: two readers, 40 replies of 10 MB). Once NetMQ
/// drops them they are garbage, but an idle server allocates nothing, so no collection comes to free them and the
/// process keeps its peak size for good. After such a closure the component therefore asks for one aggressive
/// collection (compacting, returning free memory to the system), on a thread-pool thread and at most once every
/// <see cref="MinimumInterval"/> in the process, so a stream of closures costs one collection per interval.</para>
/// <para>The cost: a peer can cause one blocking collection per interval at most, and only by first making the
/// component produce more replies than the TCP buffers hold and leaving them unread for the whole grace period; the
/// pause grows with the live heap. A host with a very large heap, where a full collection pauses for long,
/// may prefer the memory to stay until its own collections: it turns this off with the AppContext switch
/// <see cref="DisableSwitch"/> (in the project file:
/// <c>&lt;RuntimeHostConfigurationOption Include="ZeroBridge.DisableMemoryReclaim" Value="true" /&gt;</c>).</para>
/// </remarks>
internal static class MemoryReclaim
{
    /// <summary>The AppContext switch that leaves collections to the runtime.</summary>
    public const string DisableSwitch = "ZeroBridge.DisableMemoryReclaim";

    /// <summary>The least time between two collections asked for.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(10);

    private static long _lastMs = long.MinValue;

    /// <summary>Raised on the requesting thread each time a collection is asked for (for tests).</summary>
    public static event Action? Requested;

    /// <summary>
    /// Asks for a collection unless one was asked for less than <see cref="MinimumInterval"/> ago; any thread. False
    /// when it was too soon: ask again later, or the memory of what was dropped since that collection stays.
    /// </summary>
    public static bool Request()
    {
        if (AppContext.TryGetSwitch(DisableSwitch, out bool disabled) && disabled)
            return true;
        long now = Environment.TickCount64;
        long last = Interlocked.Read(ref _lastMs);
        if (last != long.MinValue && now - last < (long)MinimumInterval.TotalMilliseconds)
            return false;
        if (Interlocked.CompareExchange(ref _lastMs, now, last) != last)
            return false;
        Requested?.Invoke();
        // Aggressive: blocking and compacting (the large-object heap too), then returning what is free to the system.
        // Measured: a background collection frees the replies but keeps the memory (697 -> 663 MiB); this one
        // returns it (782 -> 121 MiB, bench/README.md).
        ThreadPool.UnsafeQueueUserWorkItem(static _ =>
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true), null);
        return true;
    }
}
