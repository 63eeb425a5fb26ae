using Microsoft.Extensions.Logging;

namespace ZeroBridge.Kernel.Messaging;

/// <summary>
/// Log entries of the Jupyter kernel's sockets (event ids 8100-8199), source-generated so a disabled level costs no formatting.
/// docs/hosting.md lists every event id ZeroBridge logs.
/// </summary>
internal static partial class MessagingLog
{
    [LoggerMessage(EventId = 8100, EventName = "MessageDropped", Level = LogLevel.Warning,
        Message = "Dropped a message on {Channel}: {Reason}")]
    public static partial void MessageDropped(ILogger logger, KernelChannel channel, string reason);

    [LoggerMessage(EventId = 8101, EventName = "MessageHandlingFailed", Level = LogLevel.Error,
        Message = "Handling {Type} on {Channel} failed")]
    public static partial void MessageHandlingFailed(ILogger logger, Exception fault, string type, KernelChannel channel);
}
