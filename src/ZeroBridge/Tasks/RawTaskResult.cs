namespace ZeroBridge.Tasks;

/// <summary>
/// A task's result as it arrived (or as the scheduler made it, for <c>worker_lost</c>), still encoded: the caller's
/// thread decodes it into a <see cref="TaskResult"/>.
/// </summary>
internal sealed record RawTaskResult(PendingTask Task, bool Ok, byte[]? Payload, ReadOnlyMemory<byte>[] Attachments, int Attempts, string Worker);
