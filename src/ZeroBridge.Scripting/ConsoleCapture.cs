using System.Text;

namespace ZeroBridge.Scripting;

/// <summary>
/// Captures what a script writes to <see cref="Console"/>, per script run: the console is replaced once by a writer
/// that sends text to the capture of the current logical flow (an <see cref="AsyncLocal{T}"/>), so two scripts
/// running at once never see each other's output, and everything else still reaches the real console.
/// </summary>
internal static class ConsoleCapture
{
    private static readonly AsyncLocal<IConsoleSink?> Current = new();
    private static readonly object InstallLock = new();
    private static bool _installed;

    /// <summary>
    /// Sends what the current flow (and the tasks it starts) writes to <paramref name="sink"/> as it is written,
    /// which is how a notebook kernel streams a running cell's output; dispose to stop.
    /// </summary>
    public static IDisposable Begin(IConsoleSink sink)
    {
        Redirect(sink);
        return new Scope();
    }

    private static void Redirect(IConsoleSink sink)
    {
        lock (InstallLock)
        {
            if (!_installed)
            {
                Console.SetOut(new RoutingWriter(Console.Out, ConsoleStream.Out));
                Console.SetError(new RoutingWriter(Console.Error, ConsoleStream.Error));
                _installed = true;
            }
        }
        Current.Value = sink;
    }

    /// <summary>One flow's capture; disposing it stops capturing.</summary>
    private sealed class Scope : IDisposable
    {
        public void Dispose() => Current.Value = null;
    }

    private sealed class RoutingWriter(TextWriter fallback, ConsoleStream stream) : TextWriter
    {
        public override Encoding Encoding => fallback.Encoding;

        public override void Write(char value) => Write(value.ToString());

        public override void Write(string? value)
        {
            if (Current.Value is { } sink)
                sink.Write(stream, value ?? "");
            else
                fallback.Write(value);
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void Flush() => fallback.Flush();
    }
}

/// <summary>Which console stream a script wrote to.</summary>
internal enum ConsoleStream
{
    /// <summary><see cref="Console.Out"/>.</summary>
    Out,
    /// <summary><see cref="Console.Error"/>.</summary>
    Error,
}

/// <summary>Receives a running script's console output as it is written (called from the script's threads).</summary>
internal interface IConsoleSink
{
    /// <summary>Takes text the script wrote to <paramref name="stream"/>.</summary>
    void Write(ConsoleStream stream, string text);
}
