using ZeroBridge.Serialization;

namespace ZeroBridge.Tasks;

/// <summary>The outcome of one task: <see cref="Value"/> when <see cref="Ok"/>, else <see cref="Error"/>.</summary>
public sealed class TaskResult
{
    private readonly ReadOnlyMemory<byte> _payload;
    private readonly ReadOnlyMemory<byte>[] _attachments;

    internal TaskResult(long id, int index, string kind, bool ok, object? value, ZeroBridgeRemoteException? error,
        int attempts, string worker, ReadOnlyMemory<byte> payload, ReadOnlyMemory<byte>[] attachments)
    {
        Id = id;
        Index = index;
        Kind = kind;
        Ok = ok;
        Value = value;
        Error = error;
        Attempts = attempts;
        Worker = worker;
        _payload = payload;
        _attachments = attachments;
    }

    /// <summary>The task id on the wire (unique within the producer).</summary>
    public long Id { get; }

    /// <summary>The task's position in the job's items, from 0.</summary>
    public int Index { get; }

    /// <summary>The task's kind.</summary>
    public string Kind { get; }

    /// <summary>Whether the task returned a value.</summary>
    public bool Ok { get; }

    /// <summary>The value as a natural .NET value (docs/protocol.md §4); null for a failed task.</summary>
    public object? Value { get; }

    /// <summary>Why the task failed (its code: <c>command_failed</c>, <c>bad_request</c>, <c>worker_lost</c>, …); null when ok.</summary>
    public ZeroBridgeRemoteException? Error { get; }

    /// <summary>How many times the task was sent.</summary>
    public int Attempts { get; }

    /// <summary>The name of the worker that answered (empty when no worker did).</summary>
    public string Worker { get; }

    /// <summary>The value as <typeparamref name="T"/>, or throws the task's <see cref="Error"/>.</summary>
    /// <exception cref="ZeroBridgeRemoteException">The task failed.</exception>
    /// <exception cref="ZeroBridgeSerializationException">The value does not convert to <typeparamref name="T"/>.</exception>
    public T? Get<T>()
    {
        if (Error is not null)
            throw Error;
        return WireSerializer.Deserialize<T>(_payload, _attachments);
    }

    /// <inheritdoc/>
    public override string ToString() => Ok ? $"{Kind}#{Index}: {Value}" : $"{Kind}#{Index} failed: {Error!.Code}: {Error.Message}";
}

/// <summary>The arguments of one task: positional and keyword, as a call's (docs/protocol.md §2).</summary>
/// <param name="Positional">Positional arguments.</param>
/// <param name="Keyword">Keyword arguments by name.</param>
public sealed record TaskArguments(IReadOnlyList<object?> Positional, IReadOnlyDictionary<string, object?> Keyword)
{
    private static readonly IReadOnlyDictionary<string, object?> NoKeywords = new Dictionary<string, object?>();

    /// <summary>Positional arguments only.</summary>
    public static TaskArguments Of(params object?[] positional) => new(positional, NoKeywords);

    /// <summary>Keyword arguments only.</summary>
    public static TaskArguments Named(IReadOnlyDictionary<string, object?> keyword) => new([], keyword);
}

/// <summary>Where a job stands, reported after each result.</summary>
/// <param name="Total">Tasks in the job.</param>
/// <param name="Completed">Tasks that returned a value.</param>
/// <param name="Failed">Tasks that ended with an error.</param>
/// <param name="Workers">Workers connected now.</param>
/// <param name="Resent">Tasks of this producer re-sent so far (their worker was lost or they timed out).</param>
public sealed record TaskProgress(int Total, int Completed, int Failed, int Workers, long Resent)
{
    /// <summary>Tasks finished either way.</summary>
    public int Done => Completed + Failed;
}

/// <summary>Counters of a producer since it started.</summary>
/// <param name="Submitted">Tasks submitted.</param>
/// <param name="Completed">Tasks that returned a value.</param>
/// <param name="Failed">Tasks that ended with an error.</param>
/// <param name="Resent">Sends beyond the first (a lost worker, a task timeout).</param>
/// <param name="Duplicates">Results dropped because the task had already been answered (or abandoned).</param>
/// <param name="WorkersLost">Workers given up (timed out, unreachable, or said goodbye holding tasks).</param>
public sealed record TaskProducerStatistics(long Submitted, long Completed, long Failed, long Resent, long Duplicates, long WorkersLost);
