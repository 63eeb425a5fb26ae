using System.Threading.Channels;

namespace ZeroBridge.Tasks;

/// <summary>
/// One <see cref="ZeroBridgeTaskProducer.RunAsync(string, IEnumerable{TaskArguments}, TaskRunOptions?, CancellationToken)"/>
/// call: its tasks, and the channel their raw results reach the caller through, in the order they complete.
/// </summary>
internal sealed class TaskJob(string kind)
{
    /// <summary>The task kind: a command name on the workers.</summary>
    public string Kind { get; } = kind;

    /// <summary>The job's tasks, by index; filled by the caller before the job is submitted.</summary>
    public List<PendingTask> Tasks { get; } = [];

    /// <summary>Written by the scheduler (one writer), read by the caller (one reader); completed after the last task.</summary>
    public Channel<RawTaskResult> Results { get; } = Channel.CreateUnbounded<RawTaskResult>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>How many results the scheduler has written.</summary>
    public int Delivered { get; set; }
}
