namespace ZeroBridge.Tasks;

/// <summary>
/// A task's result as it arrived (or as the scheduler made it, for <c>worker_lost</c>), still encoded: the caller's
/// thread decodes it into a <see cref="TaskResult"/> (one per item of a batch).
/// </summary>
/// <param name="Task">The task (or batch) answered.</param>
/// <param name="Ok">The result header's <c>ok</c>.</param>
/// <param name="Payload">The body frame: the value, the error map, or a batch's outcomes.</param>
/// <param name="Attachments">The body's attachment frames.</param>
/// <param name="Attempts">How many times the task was sent.</param>
/// <param name="Worker">The name of the worker that answered (empty when none did).</param>
/// <param name="Batched">The result header's <c>batch</c>: null when the worker answered as for one task.</param>
internal sealed record RawTaskResult(PendingTask Task, bool Ok, byte[]? Payload, ReadOnlyMemory<byte>[] Attachments, int Attempts, string Worker,
    long? Batched = null);
