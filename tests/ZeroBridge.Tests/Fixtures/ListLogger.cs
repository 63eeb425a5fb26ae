using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ZeroBridge.Tests.Fixtures;

/// <summary>A logger that keeps every formatted line, for tests that check what a component logged.</summary>
internal class ListLogger : ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<(LogLevel Level, EventId Id, string Line)> _entries = new();
    // Completed (and replaced) by every line logged: a waiter wakes on the line, never on a timer.
    private TaskCompletionSource _logged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>Every entry with its level and event id, in the order logged.</summary>
    public IReadOnlyCollection<(LogLevel Level, EventId Id, string Line)> Entries => _entries;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        string line = formatter(state, exception);
        _entries.Enqueue((logLevel, eventId, line));
        _lines.Enqueue(line);
        Interlocked.Exchange(ref _logged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds for the lines logged so far, checking it on every new line;
    /// returns whether it held before <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> WaitUntilAsync(Func<IReadOnlyCollection<string>, bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var logged = Volatile.Read(ref _logged); // taken before the check, so a line logged meanwhile wakes us
            if (condition(_lines))
                return true;
            try
            {
                await logged.Task.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                return condition(_lines);
            }
        }
    }
}

/// <summary>A <see cref="ListLogger"/> for components that take an <see cref="ILogger{TCategoryName}"/>.</summary>
internal sealed class ListLogger<T> : ListLogger, ILogger<T>;
