using System.Collections.Concurrent;

namespace ZeroBridge.Transport;

/// <summary>
/// The running components of one kind, for observable metrics to read: a component is added when it starts and
/// removed when it stops, so a stopped one is neither measured nor kept alive by the metrics.
/// </summary>
internal sealed class RunningComponents<T> where T : class
{
    private readonly ConcurrentDictionary<T, byte> _running = new(ReferenceEqualityComparer.Instance);

    /// <summary>Counts <paramref name="component"/> as running.</summary>
    public void Add(T component) => _running.TryAdd(component, 0);

    /// <summary>Stops counting <paramref name="component"/>.</summary>
    public void Remove(T component) => _running.TryRemove(component, out _);

    /// <summary>The components running now (a snapshot; safe while others start and stop).</summary>
    public ICollection<T> Now => _running.Keys;
}
