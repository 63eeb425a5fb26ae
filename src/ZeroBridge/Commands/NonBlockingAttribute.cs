namespace ZeroBridge.Commands;

/// <summary>
/// Declares that a command returns at once and never blocks (no I/O, no locks held for long, no waiting), so the
/// server may run it directly on its socket thread instead of handing it to the thread pool, which saves two thread
/// wake-ups per call (bench/README.md, "where the time goes").
/// </summary>
/// <remarks>
/// <para>Only declare it for commands that are really quick: while such a command runs, the server takes no other
/// request and sends no reply. A command that is not declared non-blocking always runs on the thread pool, so a slow
/// or blocking command never holds the socket.</para>
/// <para>The server still runs a non-blocking command on the pool when its request is large (binding the arguments
/// is work too), and falls back to the pool when the command does not complete synchronously (it returned an
/// unfinished task). A non-blocking command gets no deadline timer of its own while it runs synchronously: the
/// request's deadline is enforced only once it goes asynchronous.</para>
/// </remarks>
/// <example>
/// <code>
/// commands.Add("prices.last", [NonBlocking] (string symbol) => cache.Last(symbol));
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NonBlockingAttribute : Attribute;
