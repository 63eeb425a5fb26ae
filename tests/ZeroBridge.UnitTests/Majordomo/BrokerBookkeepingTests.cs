using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using ZeroBridge.Majordomo;
using ZeroBridge.Protocol;
using static ZeroBridge.Protocol.Majordomo;

namespace ZeroBridge.UnitTests.Majordomo;

/// <summary>The broker's decisions without sockets: who gets which request, when, and what happens when workers go.</summary>
public class BrokerBookkeepingTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly ZeroBridgeBrokerOptions Options = ZeroBridgeBrokerOptions.Default with
    {
        HeartbeatInterval = TimeSpan.FromSeconds(1), HeartbeatLiveness = 3, RequestTimeout = TimeSpan.FromSeconds(10),
        MaxRetries = 1, MaxQueuedPerService = 2,
    };

    private readonly RecordingOutput _output = new();
    private readonly BrokerBookkeeping _book;

    public BrokerBookkeepingTests() => _book = new BrokerBookkeeping(Options, _output, NullLogger.Instance);

    [Fact]
    public void A_request_goes_to_the_worker_idle_longest()
    {
        var first = Register("w1", "erp");
        var second = Register("w2", "erp");

        _book.Accept(Request("r1", "erp"));
        _book.Accept(Request("r2", "erp"));
        Reply(second); // w2 is idle again first: it is now the one idle longest
        Reply(first);
        _book.Accept(Request("r3", "erp"));

        Assert.Equal(["r1 -> w1", "r2 -> w2", "r3 -> w2"], _output.Sent);
    }

    [Fact]
    public void Requests_wait_in_arrival_order_until_a_worker_registers()
    {
        _book.Accept(Request("r1", "erp"));
        _book.Accept(Request("r2", "erp"));
        Assert.Empty(_output.Sent);
        Assert.Equal(2, _book.Status().Service("erp")!.Queued);

        var worker = Register("w1", "erp");
        Reply(worker);

        Assert.Equal(["r1 -> w1", "r2 -> w1"], _output.Sent);
    }

    [Fact]
    public void A_lost_workers_idempotent_request_is_re_sent_to_another_worker_until_the_retries_run_out()
    {
        var first = Register("w1", "erp");
        _book.DeclareIdempotent("w1", ["orders.recent"]);
        _book.Accept(Request("r1", "erp", "orders.recent"));
        var second = Register("w2", "erp");
        _book.DeclareIdempotent("w2", ["orders.recent"]);
        _book.Accept(Request("r2", "erp", "orders.recent")); // w2 takes r2; r1 stays with w1

        _book.RemoveWorker(first, "closed its connection", T0);
        Assert.Empty(_output.Failed); // r1 waits for w2, at the front of the queue
        Reply(second);
        _book.RemoveWorker(second, "closed its connection", T0); // r1's one retry is spent

        Assert.Equal(["r1 -> w1", "r2 -> w2", "r1 -> w2"], _output.Sent);
        Assert.Equal([$"r1 {BrokerErrorCodes.WorkerLost}"], _output.Failed);
        Assert.Equal(new BrokerCounters(2, 1, 0, 2, 1, 1), _book.Status().Counters);
    }

    [Fact]
    public void A_lost_workers_request_that_is_not_idempotent_is_answered_worker_lost_at_once()
    {
        var worker = Register("w1", "erp");
        _book.Accept(Request("r1", "erp", "orders.create"));
        Register("w2", "erp");

        _book.RemoveWorker(worker, "sent no heartbeat", T0);

        Assert.Equal(["r1 -> w1"], _output.Sent);
        Assert.Equal([$"r1 {BrokerErrorCodes.WorkerLost}"], _output.Failed);
    }

    [Fact]
    public void Time_expires_silent_workers_and_requests_past_their_deadline_and_sends_heartbeats()
    {
        var silent = Register("w1", "erp");
        _book.Accept(Request("r1", "erp", deadline: T0 + TimeSpan.FromSeconds(5))); // w1 runs it
        _book.Accept(Request("r2", "erp", deadline: T0 + TimeSpan.FromSeconds(2)));
        _book.Tick(T0);
        Assert.Equal(["HEARTBEAT w1"], _output.ToWorkers);

        _book.Tick(T0 + TimeSpan.FromSeconds(2)); // r2's deadline: no worker took it
        Assert.Equal([$"r2 {BrokerErrorCodes.ServiceUnavailable}"], _output.Failed);
        _book.Heard(silent, T0 + TimeSpan.FromSeconds(2));
        _book.Tick(T0 + TimeSpan.FromSeconds(4)); // heard 2 s ago: alive (expiry is 3 s)
        Assert.Contains("w1", _book.Workers.Keys);

        _book.Tick(T0 + TimeSpan.FromSeconds(6));
        Assert.Empty(_book.Workers);
        Assert.Equal([$"r2 {BrokerErrorCodes.ServiceUnavailable}", $"r1 {BrokerErrorCodes.WorkerLost}"], _output.Failed);
        Assert.Empty(_book.Services); // nothing left of the service
    }

    [Fact]
    public void A_full_queue_refuses_at_once_and_a_cancel_takes_a_waiting_request_out()
    {
        _book.Accept(Request("r1", "erp"));
        _book.Accept(Request("r2", "erp"));
        _book.Accept(Request("r3", "erp"));
        Assert.Equal([$"r3 {BrokerErrorCodes.ServiceUnavailable}"], _output.Failed);

        _book.CancelQueued("client", "erp", Id("r1"));
        Register("w1", "erp");

        Assert.Equal(["r2 -> w1"], _output.Sent);
    }

    [Fact]
    public void A_request_without_a_body_is_refused_and_never_reaches_a_worker()
    {
        Register("w1", "erp");
        _book.Accept(Request("r1", "erp"));
        _book.Accept(new PendingRequest
        {
            Client = Encoding.UTF8.GetBytes("r2"), ClientKey = "client", HasDelimiter = true, Service = "erp",
            Body = Array.Empty<NetMQFrame>(), BridgeId = Id("r2"), Deadline = T0 + Options.RequestTimeout,
        });

        Assert.Equal(["r1 -> w1"], _output.Sent);
        Assert.Equal([$"r2 {ErrorCodes.BadRequest}"], _output.Failed);
    }

    [Fact]
    public void Shutting_down_disconnects_every_worker_and_answers_every_waiting_request()
    {
        Register("w1", "erp");
        _book.Accept(Request("r1", "erp"));
        _book.Accept(Request("r2", "erp"));
        _book.Accept(Request("r3", "crm"));

        _book.ShutDown();

        Assert.Equal(["DISCONNECT w1"], _output.ToWorkers);
        Assert.Equal([$"r2 {BrokerErrorCodes.ServiceUnavailable}", $"r3 {BrokerErrorCodes.ServiceUnavailable}"], _output.Failed);
    }

    private BrokerWorker Register(string name, string service) =>
        _book.Register(Encoding.UTF8.GetBytes(name), name, service, T0);

    private void Reply(BrokerWorker worker)
    {
        _book.Replied(worker);
        _book.MadeIdle(worker);
    }

    private static PendingRequest Request(string name, string service, string? command = null, DateTime? deadline = null) => new()
    {
        Client = Encoding.UTF8.GetBytes(name), ClientKey = "client", HasDelimiter = true, Service = service,
        Body = [new NetMQFrame(Encoding.UTF8.GetBytes("header"))], BridgeId = Id(name), Command = command,
        Deadline = deadline ?? T0 + Options.RequestTimeout,
    };

    private static ReadOnlyMemory<byte> Id(string name) => Encoding.UTF8.GetBytes(name);

    /// <summary>Writes down what the bookkeeping asks to send, instead of sending it.</summary>
    private sealed class RecordingOutput : IBrokerOutput
    {
        public List<string> Sent { get; } = [];
        public List<string> Failed { get; } = [];
        public List<string> ToWorkers { get; } = [];

        public bool SendRequest(BrokerWorker worker, PendingRequest request)
        {
            Sent.Add($"{Encoding.UTF8.GetString(request.Client)} -> {worker.Key}");
            return true;
        }

        public void Fail(PendingRequest request, string code, string status, string message, IReadOnlyDictionary<string, object?>? details = null) =>
            Failed.Add($"{Encoding.UTF8.GetString(request.Client)} {code}");

        public void SendToWorker(byte[] identity, Command command) =>
            ToWorkers.Add($"{command.ToString().ToUpperInvariant()} {Encoding.UTF8.GetString(identity)}");
    }
}
