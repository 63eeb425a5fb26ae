namespace ZeroBridge.Transport;

/// <summary>
/// The state a socket-owning component keeps in an <see cref="int"/>: <see cref="New"/> (also after a start that
/// failed: it may be started again), <see cref="Started"/>, <see cref="Stopped"/>.
/// </summary>
internal static class ComponentState
{
    public const int New = 0;
    public const int Started = 1;
    public const int Stopped = 2;

    /// <summary>
    /// Marks the component stopped. A component that never started (or whose start failed) only has the sockets it
    /// made in its constructor to close (a NetMQQueue holds two; left open, <c>NetMQConfig.Cleanup</c> hangs):
    /// <paramref name="unstarted"/> are disposed here.
    /// </summary>
    /// <returns>True when the component was started: the caller stops its thread and sockets.</returns>
    public static bool BeginStop(ref int state, params IDisposable[] unstarted)
    {
        int previous = Interlocked.Exchange(ref state, Stopped);
        if (previous == New)
            foreach (var disposable in unstarted)
                disposable.Dispose();
        return previous == Started;
    }
}
