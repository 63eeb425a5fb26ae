namespace ZeroBridge.Transport;

/// <summary>
/// Backpressure for a socket whose requests run on the thread pool: the socket is read only while fewer than a limit
/// of requests are admitted and unanswered; at the limit reading stops, and it resumes when one finishes.
/// </summary>
/// <remarks>
/// Why stop reading instead of queueing inside the process: requests left unread stay in ZeroMQ's per-peer pipes, and
/// a ROUTER socket takes from those pipes in turn (fair queuing). So a peer with 100,000 requests waiting gets one
/// turn like every other peer, instead of all of its requests going ahead of a newcomer's in one process-wide queue;
/// and the backlog's memory is bounded per peer by the high-water marks (the peer's own sends then block), not by
/// this process. The gate is socket-free: the socket thread asks <see cref="HasRoom"/> before each receive;
/// <see cref="Leave"/> runs on any thread.
/// <para>
/// The pause and the finish race without a lock: the socket thread sets "paused" and then re-reads the count, a
/// finishing request lowers the count and then reads "paused", each step a full fence, so at least one of them sees
/// the other and reading always resumes once there is room.
/// </para>
/// </remarks>
internal sealed class AdmissionGate
{
    private readonly int _limit;
    private readonly Action _stopReading;
    private readonly Action _startReading;
    private readonly Action<Action> _onSocketThread;
    private int _admitted;
    private int _paused;

    /// <param name="limit">How many requests may be admitted and unanswered at once.</param>
    /// <param name="stopReading">Stops the socket thread reading the socket (runs on the socket thread).</param>
    /// <param name="startReading">Starts it again (runs on the socket thread).</param>
    /// <param name="onSocketThread">Runs an action on the socket thread, later.</param>
    public AdmissionGate(int limit, Action stopReading, Action startReading, Action<Action> onSocketThread)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _limit = limit;
        _stopReading = stopReading;
        _startReading = startReading;
        _onSocketThread = onSocketThread;
    }

    /// <summary>How many requests are admitted and not yet answered.</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Whether reading is stopped, waiting for room.</summary>
    public bool IsPaused => Volatile.Read(ref _paused) == 1;

    /// <summary>
    /// On the socket thread, before receiving: true when another request may be admitted; otherwise reading is stopped
    /// (and resumes by itself when a request finishes).
    /// </summary>
    public bool HasRoom()
    {
        if (Volatile.Read(ref _admitted) < _limit)
            return true;
        if (Interlocked.Exchange(ref _paused, 1) == 0)
            _stopReading();
        return ResumeIfRoom(); // a request may have finished between the check and the pause
    }

    /// <summary>A request was admitted (call once per request that will later <see cref="Leave"/>).</summary>
    public void Enter() => Interlocked.Increment(ref _admitted);

    /// <summary>An admitted request was answered; on any thread.</summary>
    public void Leave()
    {
        if (Interlocked.Decrement(ref _admitted) < _limit && Volatile.Read(ref _paused) == 1)
            _onSocketThread(() => ResumeIfRoom());
    }

    private bool ResumeIfRoom()
    {
        if (Volatile.Read(ref _admitted) >= _limit)
            return false;
        if (Interlocked.Exchange(ref _paused, 0) == 1)
            _startReading();
        return true;
    }
}
