using System.Collections.Concurrent;
using System.ComponentModel;
using ZeroBridge.Commands;

namespace ZeroBridge.TestHost;

/// <summary>
/// Commands that make a command's life on the server observable to a test (<c>probe.*</c>): a test can wait until a
/// command is running, release it when it chooses, and count how often it was cancelled. Every probe is named by a tag
/// the test makes up, so tests sharing the session-wide host never see each other's probes.
/// </summary>
internal static class ProbeCommands
{
    private const double DefaultWaitSeconds = 30;
    private static readonly ConcurrentDictionary<string, Probe> Probes = new();

    private static Probe Named(string tag) => Probes.GetOrAdd(tag, _ => new Probe());

    public static CommandRegistry AddProbeCommands(this CommandRegistry commands) => commands
        .Add("probe.hold", [Description("Runs until probe.release(tag), honouring cancellation; counts its cancellations.")]
            async (string tag, CancellationToken cancellationToken, double seconds = DefaultWaitSeconds) =>
            {
                var probe = Named(tag);
                probe.Started.TrySetResult();
                try
                {
                    await probe.Released.Task.WaitAsync(TimeSpan.FromSeconds(seconds), cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    probe.CountCancellation();
                    throw;
                }
                return "released";
            })
        .Add("probe.hold_ignoring_token", [Description("Runs until probe.release(tag) and never looks at its cancellation token.")]
            async (string tag, double seconds = DefaultWaitSeconds) =>
            {
                var probe = Named(tag);
                probe.Started.TrySetResult();
                await probe.Released.Task.WaitAsync(TimeSpan.FromSeconds(seconds));
                return "released";
            })
        .Add("probe.started", [Description("Waits until a probe.hold* of the tag is running: true, or false after the wait.")]
            async (string tag, CancellationToken cancellationToken, double seconds = DefaultWaitSeconds) =>
            {
                try
                {
                    await Named(tag).Started.Task.WaitAsync(TimeSpan.FromSeconds(seconds), cancellationToken);
                    return true;
                }
                catch (TimeoutException)
                {
                    return false;
                }
            })
        .Add("probe.release", [Description("Lets every probe.hold* of the tag return.")]
            (string tag) => Named(tag).Released.TrySetResult())
        .Add("probe.cancellations", [Description("How many probe.hold of the tag were cancelled, once at least at_least were (or after the wait).")]
            (string tag, CancellationToken cancellationToken, int at_least = 0, double seconds = DefaultWaitSeconds) =>
                Named(tag).CancellationsAsync(at_least, TimeSpan.FromSeconds(seconds), cancellationToken))
        .Add("probe.meet", [Description("Waits until `parties` calls of the tag are running at once: true, or false after the wait.")]
            async (string tag, int parties, CancellationToken cancellationToken, double seconds = DefaultWaitSeconds) =>
            {
                var probe = Named(tag);
                if (Interlocked.Increment(ref probe.Arrived) >= parties)
                    probe.AllArrived.TrySetResult();
                try
                {
                    await probe.AllArrived.Task.WaitAsync(TimeSpan.FromSeconds(seconds), cancellationToken);
                    return true;
                }
                catch (TimeoutException)
                {
                    return false;
                }
            })
        .Add("probe.unserializable", [Description("A result the serializer cannot write: a delegate, which has no wire form.")]
            () => (Action)(() => { }));

    private sealed class Probe
    {
        public readonly TaskCompletionSource Started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource AllArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Arrived;
        private int _cancellations;
        private TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void CountCancellation()
        {
            Interlocked.Increment(ref _cancellations);
            Interlocked.Exchange(ref _cancelled, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        /// <summary>The count once it reaches <paramref name="atLeast"/>, or whatever it is when the wait ends.</summary>
        public async Task<int> CancellationsAsync(int atLeast, TimeSpan wait, CancellationToken cancellationToken)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(wait);
            while (true)
            {
                var next = Volatile.Read(ref _cancelled); // read before the count: a cancellation in between completes it
                int count = Volatile.Read(ref _cancellations);
                if (count >= atLeast)
                    return count;
                try
                {
                    await next.Task.WaitAsync(deadline.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return Volatile.Read(ref _cancellations);
                }
            }
        }
    }
}
