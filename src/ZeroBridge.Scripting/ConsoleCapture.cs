using System.Text;

namespace ZeroBridge.Scripting;

/// <summary>
/// Captures what a script writes to <see cref="Console"/>, per script run: the console is replaced once by a writer
/// that sends text to the capture of the current logical flow (an <see cref="AsyncLocal{T}"/>), so two scripts
/// running at once never see each other's output, and everything else still reaches the real console.
/// </summary>
internal static class ConsoleCapture
{
    private static readonly AsyncLocal<StringBuilder?> Current = new();
    private static readonly object InstallLock = new();
    private static bool _installed;

    /// <summary>Starts capturing for the current flow (and the tasks it starts); dispose to stop.</summary>
    public static Scope Begin()
    {
        Install();
        var buffer = new StringBuilder();
        Current.Value = buffer;
        return new Scope(buffer);
    }

    private static void Install()
    {
        lock (InstallLock)
        {
            if (_installed)
                return;
            Console.SetOut(new RoutingWriter(Console.Out));
            Console.SetError(new RoutingWriter(Console.Error));
            _installed = true;
        }
    }

    /// <summary>One run's capture.</summary>
    public sealed class Scope(StringBuilder buffer) : IDisposable
    {
        /// <summary>Everything written so far.</summary>
        public string Text
        {
            get
            {
                lock (buffer)
                    return buffer.ToString();
            }
        }

        public void Dispose() => Current.Value = null;
    }

    private sealed class RoutingWriter(TextWriter fallback) : TextWriter
    {
        public override Encoding Encoding => fallback.Encoding;

        public override void Write(char value)
        {
            if (Current.Value is { } buffer)
            {
                lock (buffer)
                    buffer.Append(value);
            }
            else
                fallback.Write(value);
        }

        public override void Write(string? value)
        {
            if (Current.Value is { } buffer)
            {
                lock (buffer)
                    buffer.Append(value);
            }
            else
                fallback.Write(value);
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void Flush() => fallback.Flush();
    }
}
