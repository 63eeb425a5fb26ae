using Microsoft.Extensions.Logging;

namespace ZeroBridge.Security;

/// <summary>
/// Log entries of authentication and allow-lists (event ids 6000-6099), source-generated so a disabled level costs no
/// formatting. docs/hosting.md lists every event id ZeroBridge logs.
/// </summary>
internal static partial class SecurityLog
{
    [LoggerMessage(EventId = 6000, EventName = "AllowListFileSkipped", Level = LogLevel.Warning,
        Message = "Allow-list {Directory}: {File} is skipped: {Reason}")]
    public static partial void AllowListFileSkipped(ILogger logger, string directory, string file, string reason);

    [LoggerMessage(EventId = 6001, EventName = "AllowListLoaded", Level = LogLevel.Information,
        Message = "Allow-list {Directory}: {Count} client keys")]
    public static partial void AllowListLoaded(ILogger logger, string directory, int count);

    [LoggerMessage(EventId = 6010, EventName = "ProofInvalid", Level = LogLevel.Warning,
        Message = "{Component}: connection {Connection} sent a proof that does not open for key {Key}; refused")]
    public static partial void ProofInvalid(ILogger logger, string component, string connection, string key);

    [LoggerMessage(EventId = 6011, EventName = "KeyNotAllowed", Level = LogLevel.Warning,
        Message = "{Component}: connection {Connection} proved key {Key}, which is not on the allow-list {AllowList}; refused")]
    public static partial void KeyNotAllowed(ILogger logger, string component, string connection, string key, AllowList allowList);

    [LoggerMessage(EventId = 6012, EventName = "ConnectionAuthenticated", Level = LogLevel.Information,
        Message = "{Component}: connection {Connection} authenticated as {Caller}")]
    public static partial void ConnectionAuthenticated(ILogger logger, string component, string connection, string caller);

    [LoggerMessage(EventId = 6013, EventName = "KeyRevoked", Level = LogLevel.Warning,
        Message = "{Component}: key {Caller} is no longer on the allow-list {AllowList}: connection {Connection} must prove again")]
    public static partial void KeyRevoked(ILogger logger, string component, string caller, AllowList allowList, string connection);
}
