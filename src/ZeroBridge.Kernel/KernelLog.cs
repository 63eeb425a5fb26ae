using Microsoft.Extensions.Logging;
using ZeroBridge.Kernel.Messaging;

namespace ZeroBridge.Kernel;

/// <summary>
/// Log entries of the Jupyter kernel (event ids 8000-8099), source-generated so a disabled level costs no formatting.
/// docs/hosting.md lists every event id ZeroBridge logs.
/// </summary>
internal static partial class KernelLog
{
    [LoggerMessage(EventId = 8000, EventName = "KernelServing", Level = LogLevel.Information,
        Message = "Jupyter kernel serving {ConnectionFile} ({Engine})")]
    public static partial void KernelServing(ILogger logger, string connectionFile, string engine);

    [LoggerMessage(EventId = 8001, EventName = "ConnectionFileNotDeleted", Level = LogLevel.Warning,
        Message = "Could not delete the connection file {ConnectionFile}")]
    public static partial void ConnectionFileNotDeleted(ILogger logger, Exception fault, string connectionFile);

    [LoggerMessage(EventId = 8002, EventName = "KernelRequestDropped", Level = LogLevel.Warning,
        Message = "Dropped {Type} on {Channel}: too many requests queued")]
    public static partial void KernelRequestDropped(ILogger logger, string type, KernelChannel channel);

    [LoggerMessage(EventId = 8003, EventName = "KernelRequestFailed", Level = LogLevel.Error,
        Message = "Serving {Type} failed")]
    public static partial void KernelRequestFailed(ILogger logger, Exception fault, string type);

    [LoggerMessage(EventId = 8004, EventName = "StdinMessageIgnored", Level = LogLevel.Warning,
        Message = "Ignored {Type} on stdin")]
    public static partial void StdinMessageIgnored(ILogger logger, string type);

    [LoggerMessage(EventId = 8005, EventName = "ShutdownServedInApplication", Level = LogLevel.Information,
        Message = "Shutdown request (restart: {Restart}) served without stopping the application")]
    public static partial void ShutdownServedInApplication(ILogger logger, bool restart);

    [LoggerMessage(EventId = 8006, EventName = "ShutdownStopping", Level = LogLevel.Information,
        Message = "Shutdown request (restart: {Restart}): stopping")]
    public static partial void ShutdownStopping(ILogger logger, bool restart);

    [LoggerMessage(EventId = 8007, EventName = "UnknownMessageType", Level = LogLevel.Warning,
        Message = "Unknown message type {Type} on {Channel}")]
    public static partial void UnknownMessageType(ILogger logger, string type, KernelChannel channel);
}
