using System.Text;

namespace ZeroBridge.Scripting;

/// <summary>
/// The console output of one script run, readable while the run goes on: a caller in another request waits for text
/// past the offset it has (<see cref="ReadAsync"/>), which is how an attached notebook kernel shows a cell's output as
/// it is written instead of when the cell ends.
/// </summary>
internal sealed class RunOutput : IConsoleSink
{
    private readonly StringBuilder _text = new();
    private TaskCompletionSource _changed = NewSignal();
    private bool _finished;

    /// <param name="runId">The caller's name for the run (null when it gave none).</param>
    public RunOutput(string? runId) => RunId = runId;

    /// <summary>The caller's name for the run.</summary>
    public string? RunId { get; }

    /// <summary>Everything written so far (stdout and stderr interleaved).</summary>
    public string Text
    {
        get
        {
            lock (_text)
                return _text.ToString();
        }
    }

    /// <inheritdoc/>
    public void Write(ConsoleStream stream, string text)
    {
        TaskCompletionSource changed;
        lock (_text)
        {
            _text.Append(text);
            changed = _changed;
            _changed = NewSignal();
        }
        changed.TrySetResult();
    }

    /// <summary>The run ended: readers stop waiting.</summary>
    public void Finish()
    {
        TaskCompletionSource changed;
        lock (_text)
        {
            _finished = true;
            changed = _changed;
        }
        changed.TrySetResult();
    }

    /// <summary>
    /// The text after <paramref name="offset"/> (UTF-16 characters), waiting up to <paramref name="wait"/> for some when
    /// there is none yet and the run goes on; and whether the run has ended.
    /// </summary>
    public async Task<(string Text, int Next, bool Finished)> ReadAsync(int offset, TimeSpan wait, CancellationToken cancellationToken)
    {
        Task changed;
        lock (_text)
        {
            offset = Math.Clamp(offset, 0, _text.Length);
            if (offset < _text.Length || _finished || wait <= TimeSpan.Zero)
                return (_text.ToString(offset, _text.Length - offset), _text.Length, _finished);
            changed = _changed.Task;
        }
        try
        {
            await changed.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        lock (_text)
            return (_text.ToString(offset, _text.Length - offset), _text.Length, _finished);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
