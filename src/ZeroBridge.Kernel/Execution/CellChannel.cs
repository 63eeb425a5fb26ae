using System.Text;
using ZeroBridge.Kernel.Display;
using ZeroBridge.Scripting;

namespace ZeroBridge.Kernel.Execution;

/// <summary>
/// What a running cell sends to the front-end: its console output as <c>stream</c> messages (batched, and bounded
/// by <see cref="JupyterKernelOptions.MaxOutputBytesPerCell"/>), displays, and input requests. Code running in the
/// cell finds its channel through <see cref="Current"/>; after the cell ends the channel is closed and ignores writes.
/// </summary>
internal sealed class CellChannel : IConsoleSink, IDisposable
{
    private static readonly AsyncLocal<CellChannel?> CurrentChannel = new();
    private const int FlushThreshold = 64 * 1024;

    private readonly ICellPublisher _publisher;
    private readonly long _limit;
    private readonly StringBuilder _stdout = new(), _stderr = new();
    private readonly List<MimeBundle> _pages = [];
    private readonly Timer _flusher;
    private readonly object _gate = new();
    private long _written, _dropped;
    private bool _closed;

    public CellChannel(ICellPublisher publisher, long maxOutputBytes, TimeSpan flushInterval)
    {
        _publisher = publisher;
        _limit = maxOutputBytes;
        _flusher = new Timer(_ => Flush(), null, flushInterval, flushInterval);
    }

    /// <summary>The channel of the cell running on this logical flow, or null outside a cell.</summary>
    public static CellChannel? Current => CurrentChannel.Value;

    /// <summary>Makes this the channel of the current flow (and of the tasks it starts).</summary>
    public void Enter() => CurrentChannel.Value = this;

    /// <summary>Takes console output; called from the cell's threads.</summary>
    public void Write(ConsoleStream stream, string text)
    {
        bool flush;
        lock (_gate)
        {
            if (_closed)
                return;
            long room = Math.Max(0, _limit - _written);
            if (text.Length > room)
            {
                _dropped += text.Length - room;
                text = text[..(int)room];
            }
            _written += text.Length;
            (stream == ConsoleStream.Error ? _stderr : _stdout).Append(text);
            flush = _stdout.Length + _stderr.Length >= FlushThreshold;
        }
        if (flush)
            Flush();
    }

    /// <summary>Publishes a display (or replaces one), after the output written before it.</summary>
    public void Display(MimeBundle bundle, string displayId, bool update)
    {
        Flush();
        lock (_gate)
        {
            if (!_closed)
                _publisher.PublishDisplay(bundle, displayId, update);
        }
    }

    /// <summary>Clears what the cell has shown, after the output written before it.</summary>
    public void ClearOutput(bool wait)
    {
        Flush();
        lock (_gate)
        {
            if (!_closed)
                _publisher.PublishClearOutput(wait);
        }
    }

    /// <summary>
    /// Keeps <paramref name="bundle"/> for the pager: it goes out in the execute reply's <c>payload</c>, where front-ends
    /// look for pages (a pane beside the notebook, the terminal's pager in <c>jupyter console</c>).
    /// </summary>
    public void Page(MimeBundle bundle)
    {
        lock (_gate)
        {
            if (!_closed)
                _pages.Add(bundle);
        }
    }

    /// <summary>The pages the cell asked for, in order (taken: a second call returns none).</summary>
    public List<MimeBundle> TakePages()
    {
        lock (_gate)
        {
            var pages = _pages.ToList();
            _pages.Clear();
            return pages;
        }
    }

    /// <summary>Asks the front-end for a line of input (Console.ReadLine in a cell).</summary>
    /// <exception cref="InvalidOperationException">The front-end does not take input, or the cell has ended.</exception>
    public string ReadLine(string prompt)
    {
        Flush();
        return _publisher.RequestInput(prompt);
    }

    /// <summary>Sends what is buffered as stream messages, stdout first.</summary>
    public void Flush()
    {
        string? stdout = null, stderr = null;
        lock (_gate)
        {
            if (_stdout.Length > 0)
            {
                stdout = _stdout.ToString();
                _stdout.Clear();
            }
            if (_stderr.Length > 0)
            {
                stderr = _stderr.ToString();
                _stderr.Clear();
            }
            if (stdout is not null)
                _publisher.PublishStream("stdout", stdout);
            if (stderr is not null)
                _publisher.PublishStream("stderr", stderr);
        }
    }

    /// <summary>Flushes, reports output beyond the limit, and ignores everything after.</summary>
    public void Dispose()
    {
        _flusher.Dispose();
        Flush();
        lock (_gate)
        {
            if (_dropped > 0)
                _publisher.PublishStream("stderr",
                    $"\n[output truncated: the cell wrote {_dropped} more characters than the kernel's limit of {_limit}]\n");
            _closed = true;
        }
    }
}

/// <summary>Where a cell's output goes: the kernel publishes it on IOPub under the cell's request.</summary>
internal interface ICellPublisher
{
    void PublishStream(string name, string text);
    void PublishDisplay(MimeBundle bundle, string displayId, bool update);
    void PublishClearOutput(bool wait);
    string RequestInput(string prompt);
}
