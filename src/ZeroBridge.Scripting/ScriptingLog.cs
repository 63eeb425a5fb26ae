using Microsoft.Extensions.Logging;

namespace ZeroBridge.Scripting;

/// <summary>
/// Log entries of the C# script host (event ids 7000-7099), source-generated so a disabled level costs no formatting.
/// docs/hosting.md lists every event id ZeroBridge logs.
/// </summary>
internal static partial class ScriptingLog
{
    [LoggerMessage(EventId = 7000, EventName = "ScriptRun", Level = LogLevel.Information,
        Message = "Script run for {Peer} in session {Session}: {Length} chars")]
    public static partial void ScriptRun(ILogger logger, string peer, string session, int length);

    [LoggerMessage(EventId = 7001, EventName = "ScriptAbandoned", Level = LogLevel.Warning,
        Message = "Script in session {Session} for {Peer} ignored its {Timeout} timeout and was abandoned")]
    public static partial void ScriptAbandoned(ILogger logger, string session, string peer, TimeSpan timeout);

    [LoggerMessage(EventId = 7002, EventName = "ScriptingWarmedUp", Level = LogLevel.Information,
        Message = "C# scripting warmed up in {Milliseconds} ms")]
    public static partial void ScriptingWarmedUp(ILogger logger, long milliseconds);

    [LoggerMessage(EventId = 7003, EventName = "ScriptingWarmUpFailed", Level = LogLevel.Warning,
        Message = "C# scripting warm-up failed")]
    public static partial void ScriptingWarmUpFailed(ILogger logger, Exception fault);
}
