namespace ZeroBridge.Cli;

/// <summary>
/// Runtime settings of the zbridge process that only an environment variable can make, applied before any socket exists.
/// </summary>
/// <remarks>
/// NetMQ on Linux does its socket I/O with .NET's asynchronous sockets, whose completions the runtime's epoll thread
/// hands to the thread pool, which hands them to NetMQ's I/O thread: one thread wake-up more per message than needed.
/// With <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> the epoll thread runs the completion itself (NetMQ's
/// completion only queues work for its I/O thread, so it never blocks the epoll thread). Together with the thread-pool
/// spin limit in the project file this cut a broker's CPU per request from 434 to 197 µs and raised its sequential
/// throughput 1.7x (bench/README.md, "Issue 14, second pass"). The runtime reads the variable when the first socket is
/// created, so setting it first thing in <c>Main</c> is in time; a value the user set is kept. A library cannot make this
/// choice for its host process, so it is the CLI's, and docs/architecture.md suggests it to applications.
/// </remarks>
internal static class RuntimeTuning
{
    private const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Sets the variables not set already; call before anything opens a socket.</summary>
    public static void Apply()
    {
        if (Environment.GetEnvironmentVariable(InlineSocketCompletions) is null)
            Environment.SetEnvironmentVariable(InlineSocketCompletions, "1");
    }
}
