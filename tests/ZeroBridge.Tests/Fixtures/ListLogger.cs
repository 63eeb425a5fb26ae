using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ZeroBridge.Tests.Fixtures;

/// <summary>A logger that keeps every formatted line, for tests that check what a component logged.</summary>
internal class ListLogger : ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue(formatter(state, exception));
}

/// <summary>A <see cref="ListLogger"/> for components that take an <see cref="ILogger{TCategoryName}"/>.</summary>
internal sealed class ListLogger<T> : ListLogger, ILogger<T>;
