namespace ZeroBridge.Kernel.Execution;

/// <summary>
/// Routes <see cref="Console.In"/> in a cell to the front-end: a cell's <c>Console.ReadLine()</c> becomes an
/// <c>input_request</c>. The reader is installed once; code outside a cell still reads the real console.
/// </summary>
internal static class ConsoleInput
{
    private static readonly object InstallLock = new();
    private static bool _installed;

    /// <summary>Replaces <see cref="Console.In"/> with the routing reader, once per process.</summary>
    public static void Install()
    {
        lock (InstallLock)
        {
            if (_installed)
                return;
            Console.SetIn(new RoutingReader(Console.In));
            _installed = true;
        }
    }

    private sealed class RoutingReader(TextReader fallback) : TextReader
    {
        [ThreadStatic] private static string? _pending; // what is left of the last line a cell read by characters

        public override string? ReadLine()
        {
            if (CellChannel.Current is not { } channel)
                return fallback.ReadLine();
            if (_pending is { } rest)
            {
                _pending = null;
                return rest;
            }
            return channel.ReadLine("");
        }

        public override int Read()
        {
            if (CellChannel.Current is not { } channel)
                return fallback.Read();
            _pending ??= channel.ReadLine("") + "\n";
            char next = _pending[0];
            _pending = _pending.Length > 1 ? _pending[1..] : null;
            return next;
        }

        public override int Peek() => CellChannel.Current is null ? fallback.Peek() : _pending is { Length: > 0 } p ? p[0] : -1;
    }
}
