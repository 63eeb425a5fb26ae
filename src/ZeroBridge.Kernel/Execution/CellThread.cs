using System.Collections.Concurrent;

namespace ZeroBridge.Kernel.Execution;

/// <summary>
/// The thread a kernel compiles and runs cells on: one long-lived thread of its own. Not the pool's, so that a
/// runaway cell cannot starve the kernel's own work; not a new thread per cell, because a new thread starts with
/// cold thread-local caches (the runtime's array pools, Roslyn's pooled builders): measured, a warm <c>1 + 1</c>
/// through Roslyn on a new thread per cell cost 1.2-1.7 times the process CPU of the same cells on one thread
/// (bench/README.md, issue 13, stop 13).
/// </summary>
/// <remarks>
/// Work runs in order, up to its first incomplete await (as on a thread started for it); what follows runs where
/// the awaited work completes. A cell that never returns keeps the thread: <see cref="Retire"/> lets that thread
/// end when the cell does, and the engine starts a new one for what comes next.
/// </remarks>
internal sealed class CellThread
{
    private readonly BlockingCollection<Action> _work = new();

    public CellThread(string name) => new Thread(Serve) { IsBackground = true, Name = name }.Start();

    /// <summary>Starts <paramref name="work"/> on this thread once the work queued before it has returned.</summary>
    /// <exception cref="InvalidOperationException">The thread was retired.</exception>
    public Task<T> Run<T>(Func<Task<T>> work)
    {
        var started = new TaskCompletionSource<Task<T>>();
        _work.Add(() =>
        {
            try
            {
                started.SetResult(work());
            }
            catch (Exception ex)
            {
                started.SetException(ex);
            }
        });
        return started.Task.Unwrap();
    }

    /// <summary>Takes no more work: the thread ends once what it runs now returns.</summary>
    public void Retire() => _work.CompleteAdding();

    private void Serve()
    {
        foreach (var work in _work.GetConsumingEnumerable())
            work();
        _work.Dispose();
    }
}
