using Microsoft.Extensions.Logging;
using ZeroBridge.Security;

namespace ZeroBridge.Tasks;

/// <summary>
/// Log entries of task producers (event ids 5000-5099) and task workers (5100-5199), source-generated so a disabled level costs no formatting.
/// docs/hosting.md lists every event id ZeroBridge logs.
/// </summary>
internal static partial class TasksLog
{
    [LoggerMessage(EventId = 5000, EventName = "AllowListRecheckFailed", Level = LogLevel.Error,
        Message = "Task producer: checking the proved workers against the allow-list {AllowList} failed")]
    public static partial void AllowListRecheckFailed(ILogger logger, Exception fault, AllowList? allowList);

    [LoggerMessage(EventId = 5001, EventName = "ProducerStarted", Level = LogLevel.Information,
        Message = "ZeroBridge task producer waiting for workers on {Endpoint} ({Security})")]
    public static partial void ProducerStarted(ILogger logger, string endpoint, string security);

    [LoggerMessage(EventId = 5002, EventName = "WorkerNotProved", Level = LogLevel.Warning,
        Message = "Task producer: worker {Worker} (connection {Connection}) has not proved a key on the allow-list {AllowList}; it gets no task")]
    public static partial void WorkerNotProved(ILogger logger, string worker, string connection, AllowList? allowList);

    [LoggerMessage(EventId = 5003, EventName = "TasksResent", Level = LogLevel.Warning,
        Message = "Task worker {Worker} {Reason}: re-sending its {Count} task(s)")]
    public static partial void TasksResent(ILogger logger, string worker, string reason, int count);

    [LoggerMessage(EventId = 5100, EventName = "TaskWorkerStarted", Level = LogLevel.Information,
        Message = "ZeroBridge task worker {Name} taking tasks from {Endpoint}")]
    public static partial void TaskWorkerStarted(ILogger logger, string name, string endpoint);

    [LoggerMessage(EventId = 5101, EventName = "TaskWorkerUndecodableProofReply", Level = LogLevel.Warning,
        Message = "An undecodable proof reply was ignored: {Message}")]
    public static partial void TaskWorkerUndecodableProofReply(ILogger logger, string message);

    [LoggerMessage(EventId = 5102, EventName = "TaskWorkerProved", Level = LogLevel.Information,
        Message = "Task worker {Name} proved its key {Key} to the producer")]
    public static partial void TaskWorkerProved(ILogger logger, string name, string key);

    [LoggerMessage(EventId = 5103, EventName = "TaskWorkerKeyRefused", Level = LogLevel.Error,
        Message = "Task worker {Name}: the producer refused this worker's key {Key}: {Message}")]
    public static partial void TaskWorkerKeyRefused(ILogger logger, string name, string key, string? message);

    [LoggerMessage(EventId = 5104, EventName = "TaskWorkerNeedsCertificate", Level = LogLevel.Error,
        Message = "Task worker {Name}: the producer at {Endpoint} gives tasks only to workers whose key is on its allow-list; give this worker its certificate (ZeroBridgeTaskWorkerOptions.Certificate, --cert NAME.key_secret)")]
    public static partial void TaskWorkerNeedsCertificate(ILogger logger, string name, string endpoint);

    [LoggerMessage(EventId = 5105, EventName = "UndecodableTaskHeader", Level = LogLevel.Warning,
        Message = "An undecodable task header was ignored: {Message}")]
    public static partial void UndecodableTaskHeader(ILogger logger, string message);

    [LoggerMessage(EventId = 5106, EventName = "TaskFault", Level = LogLevel.Error,
        Message = "Unexpected fault running a task")]
    public static partial void TaskFault(ILogger logger, Exception fault);
}
