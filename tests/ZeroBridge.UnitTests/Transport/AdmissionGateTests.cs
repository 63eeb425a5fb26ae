using System.Collections.Concurrent;
using ZeroBridge.Transport;

namespace ZeroBridge.UnitTests.Transport;

/// <summary>The server's backpressure, without sockets: reading stops at the limit and always resumes once there is room.</summary>
public class AdmissionGateTests
{
    private sealed class FakeSocketThread
    {
        public int Stops;
        public int Starts;
        public readonly ConcurrentQueue<Action> Posted = new();

        public AdmissionGate Gate(int limit) =>
            new(limit, () => Stops++, () => Starts++, Posted.Enqueue);

        public void RunPosted()
        {
            while (Posted.TryDequeue(out var action))
                action();
        }
    }

    [Fact]
    public void Reading_stops_at_the_limit_and_resumes_when_a_request_finishes()
    {
        var thread = new FakeSocketThread();
        var gate = thread.Gate(limit: 2);

        Assert.True(gate.HasRoom());
        gate.Enter();
        Assert.True(gate.HasRoom());
        gate.Enter();
        Assert.False(gate.HasRoom());
        Assert.Equal(1, thread.Stops);
        Assert.True(gate.IsPaused);

        Assert.False(gate.HasRoom()); // asking again does not stop twice
        Assert.Equal(1, thread.Stops);

        gate.Leave();
        Assert.Equal(0, thread.Starts); // resuming happens on the socket thread
        thread.RunPosted();
        Assert.Equal(1, thread.Starts);
        Assert.False(gate.IsPaused);
        Assert.True(gate.HasRoom());
    }

    [Fact]
    public void Finishing_while_not_paused_posts_nothing()
    {
        var thread = new FakeSocketThread();
        var gate = thread.Gate(limit: 4);
        gate.Enter();
        gate.Leave();
        Assert.Empty(thread.Posted);
        Assert.Equal(0, gate.Admitted);
    }

    [Fact]
    public void A_finish_between_the_check_and_the_pause_is_not_lost()
    {
        // The socket thread saw the gate full, a request finished before the pause was recorded (so Leave posted
        // nothing): HasRoom must notice the room itself and keep reading.
        var thread = new FakeSocketThread();
        AdmissionGate? gate = null;
        gate = new AdmissionGate(1, stopReading: () => { thread.Stops++; gate!.Leave(); }, () => thread.Starts++,
            thread.Posted.Enqueue);
        gate.Enter();

        Assert.True(gate.HasRoom());
        Assert.Equal(1, thread.Stops);
        Assert.Equal(1, thread.Starts);
        Assert.False(gate.IsPaused);
    }

    [Fact]
    public async Task Under_concurrent_finishes_reading_always_resumes()
    {
        // Many rounds of: the socket thread fills the gate, requests finish on pool threads. A lost resume would leave
        // the gate paused with nothing admitted.
        var thread = new FakeSocketThread();
        var gate = thread.Gate(limit: 3);
        for (int round = 0; round < 2000; round++)
        {
            while (gate.HasRoom())
                gate.Enter();
            var finishing = Enumerable.Range(0, 3).Select(_ => Task.Run(gate.Leave)).ToArray();
            await Task.WhenAll(finishing);
            thread.RunPosted();
            Assert.Equal(0, gate.Admitted);
            Assert.False(gate.IsPaused, $"round {round}: paused with nothing admitted");
        }
    }
}
