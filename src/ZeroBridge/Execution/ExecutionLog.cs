using Microsoft.Extensions.Logging;

namespace ZeroBridge.Execution;

/// <summary>
/// Log entries of running commands (event ids 2100-2199), wherever they arrive from (server, gateway, MDP worker,
/// task worker), source-generated so a disabled level costs no formatting. docs/hosting.md lists every event id.
/// </summary>
internal static partial class ExecutionLog
{
    [LoggerMessage(EventId = 2100, EventName = "RequestRejected", Level = LogLevel.Debug,
        Message = "Rejected a request: {Code} {Message}")]
    public static partial void RequestRejected(ILogger logger, string code, string message);

    [LoggerMessage(EventId = 2101, EventName = "CommandRunning", Level = LogLevel.Debug,
        Message = "Running {Command} for {Peer}")]
    public static partial void CommandRunning(ILogger logger, string command, string peer);

    [LoggerMessage(EventId = 2102, EventName = "CommandCompleted", Level = LogLevel.Debug,
        Message = "Command {Command} for {Peer} completed in {ElapsedMs:0.###} ms")]
    public static partial void CommandCompleted(ILogger logger, string command, string peer, double elapsedMs);

    [LoggerMessage(EventId = 2103, EventName = "CommandFailed", Level = LogLevel.Warning,
        Message = "Command {Command} failed for {Peer} after {ElapsedMs:0.###} ms")]
    public static partial void CommandFailed(ILogger logger, Exception fault, string command, string peer, double elapsedMs);

    [LoggerMessage(EventId = 2104, EventName = "CommandRefused", Level = LogLevel.Debug,
        Message = "Command {Command} for {Peer}: {Code} {Message} after {ElapsedMs:0.###} ms")]
    public static partial void CommandRefused(ILogger logger, string command, string peer, string code, string message, double elapsedMs);

    [LoggerMessage(EventId = 2105, EventName = "LateResultDropped", Level = LogLevel.Debug,
        Message = "Command {Command} for {Peer} finished after its deadline; the late result is dropped")]
    public static partial void LateResultDropped(ILogger logger, string command, string peer);

    [LoggerMessage(EventId = 2106, EventName = "ResultUnserializable", Level = LogLevel.Warning,
        Message = "A result could not be serialized")]
    public static partial void ResultUnserializable(ILogger logger, Exception fault);
}
