using NetMQ;
using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Majordomo;
using ZeroBridge.Protocol;
using ZeroBridge.Security;
using ZeroBridge.Tests.Fixtures;

namespace ZeroBridge.Tests.Security;

/// <summary>
/// A broker with an allow-list (docs/security.md, "Broker"): clients and workers prove their keys, services are
/// permitted per key, rogue workers are refused, and workers see the client identity the broker stamps.
/// </summary>
public sealed class BrokerAuthenticationTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly ZeroBridgeCertificate _brokerKeys = ZeroBridgeCertificate.Generate();
    private readonly string _allowed = Directory.CreateTempSubdirectory("zerobridge-broker-allow-").FullName;
    private readonly ZeroBridgeCertificate _alice = Certificate("alice", services: "erp", commands: "whoami");
    private readonly ZeroBridgeCertificate _erpWorker = Certificate("erp-worker", services: "erp");
    private readonly ZeroBridgeCertificate _hrWorker = Certificate("hr-worker", services: "hr");
    private int _ran;
    private ZeroBridgeBroker _broker = null!;

    public async Task InitializeAsync()
    {
        foreach (var (certificate, name) in new[] { (_alice, "alice"), (_erpWorker, "erp-worker"), (_hrWorker, "hr-worker") })
            certificate.PublicOnly().Save(_allowed, name);
        _broker = new ZeroBridgeBroker(ZeroBridgeBrokerOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            Certificate = _brokerKeys,
            AllowList = AllowList.FromDirectory(_allowed),
            RequestTimeout = TimeSpan.FromSeconds(2),
        });
        await _broker.StartAsync();
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    public void Dispose() => Directory.Delete(_allowed, recursive: true);

    private static ZeroBridgeCertificate Certificate(string name, string services, string commands = "") =>
        ZeroBridgeCertificate.Generate(new Dictionary<string, string> { ["name"] = name, ["services"] = services, ["commands"] = commands });

    private CommandRegistry Commands() => new CommandRegistry()
        .Add("whoami", (CommandContext context) =>
        {
            Interlocked.Increment(ref _ran);
            return new Dictionary<string, object?> { ["key"] = context.Caller?.Key, ["name"] = context.Caller?.Name };
        })
        .Add("secret", () => { Interlocked.Increment(ref _ran); return "secret"; });

    private ZeroBridgeWorker Worker(ZeroBridgeCertificate? keys, string service = "erp", AllowList? allowList = null) =>
        new(Commands(), _broker.Endpoint, service, ZeroBridgeWorkerOptions.Default with
        {
            ServerKey = _brokerKeys.PublicKey,
            Certificate = keys,
            AllowList = allowList,
        });

    private ZeroBridgeClient Client(ZeroBridgeCertificate? keys, string service = "erp") => new(_broker.Endpoint, ZeroBridgeClientOptions.Default with
    {
        Service = service,
        ServerKey = _brokerKeys.PublicKey,
        Certificate = keys,
        Timeout = Wait,
    });

    [Fact]
    public async Task The_worker_sees_the_client_identity_the_broker_proved()
    {
        await using var worker = Worker(_erpWorker);
        await worker.StartAsync();
        using var client = Client(_alice);

        var caller = await client.CallAsync<Dictionary<string, object?>>("whoami");

        Assert.Equal(_alice.PublicKey, caller!["key"]);
        Assert.Equal("alice", caller["name"]);
    }

    [Fact]
    public async Task A_worker_with_an_allow_list_applies_the_stamped_callers_command_permissions()
    {
        await using var worker = Worker(_erpWorker, allowList: AllowList.FromDirectory(_allowed));
        await worker.StartAsync();
        using var client = Client(_alice);

        Assert.Equal("alice", (await client.CallAsync<Dictionary<string, object?>>("whoami"))!["name"]);
        var denied = await Assert.ThrowsAsync<RemotePermissionDeniedException>(() => client.CallAsync<string>("secret"));
        Assert.Contains("'secret'", denied.Message);
        Assert.Equal(1, Volatile.Read(ref _ran));
    }

    [Fact]
    public async Task A_client_is_refused_a_service_its_key_does_not_permit_and_an_unknown_client_everything()
    {
        await using var hr = Worker(_hrWorker, "hr");
        await hr.StartAsync();
        using var alice = Client(_alice, "hr");
        using var stranger = Client(null);

        var denied = await Assert.ThrowsAsync<RemotePermissionDeniedException>(() => alice.CallAsync<object>("whoami"));
        Assert.Contains("'hr'", denied.Message);
        await Assert.ThrowsAsync<RemoteUnauthenticatedException>(() => stranger.CallAsync<object>("whoami"));
        Assert.Equal(0, Volatile.Read(ref _ran));
    }

    [Fact]
    public async Task A_registered_worker_whose_key_leaves_the_allow_list_is_disconnected_and_gets_no_request_more()
    {
        await using var worker = Worker(_erpWorker);
        await worker.StartAsync();
        using var client = Client(_alice);
        Assert.Equal("alice", (await client.CallAsync<Dictionary<string, object?>>("whoami"))!["name"]);

        File.Delete(Path.Combine(_allowed, "erp-worker" + ZeroBridgeCertificate.PublicExtension));

        // Within ConnectionAuthentication.RecheckInterval the broker drops it, with no client asking (its timer rechecks).
        await _broker.WaitForStatusAsync(status => status.Counters.WorkersLost > 0, Wait);
        Assert.Equal(1, _broker.Status.Counters.WorkersLost);
        await Assert.ThrowsAnyAsync<ZeroBridgeException>(() => client.CallAsync<object>("whoami"));
        Assert.Equal(1, Volatile.Read(ref _ran)); // the request never reached the worker
    }

    [Fact]
    public async Task A_worker_whose_READY_is_refused_waits_longer_each_time_instead_of_reconnecting_at_once()
    {
        var log = new ListLogger<ZeroBridgeWorker>();
        await using var worker = new ZeroBridgeWorker(Commands(), _broker.Endpoint, "erp", ZeroBridgeWorkerOptions.Default with
        {
            ServerKey = _brokerKeys.PublicKey,
            Certificate = _hrWorker, // proves a key that may serve only 'hr'
        }, log);
        await worker.StartAsync();

        string[] Refusals() => log.Lines.Where(line => line.Contains("refused READY")).ToArray();
        await log.WaitUntilAsync(_ => Refusals().Length >= 3, Wait);

        var refusals = Refusals();
        Assert.True(refusals.Length >= 3, string.Join(Environment.NewLine, log.Lines));
        Assert.Contains("in 250 ms", refusals[0]);
        Assert.Contains("in 500 ms", refusals[1]);
        Assert.Contains("in 1000 ms", refusals[2]);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("unknown")]
    [InlineData("other-service")]
    public void A_READY_for_a_service_the_workers_key_may_not_serve_is_answered_DISCONNECT(string rogue)
    {
        var keys = rogue == "other-service" ? _hrWorker : Certificate("rogue", services: "*");
        using var socket = new RawBridgeSocket(_broker.Endpoint, _brokerKeys.PublicKey, keys, service: "erp");
        if (rogue != "none")
        {
            var (proved, _) = socket.Call(AuthMessages.Prove, socket.Proof(keys, _brokerKeys.PublicKey));
            Assert.Equal(rogue == "other-service", proved); // an unknown key cannot even prove
        }

        socket.Socket.SendMoreFrameEmpty().SendMoreFrame(ZeroBridge.Protocol.Majordomo.WorkerSignature)
            .SendMoreFrame([(byte)ZeroBridge.Protocol.Majordomo.Command.Ready]).SendFrame("erp");

        var answer = new NetMQMessage();
        Assert.True(socket.Socket.TryReceiveMultipartMessage(Wait, ref answer));
        Assert.Equal(ZeroBridge.Protocol.Majordomo.WorkerSignature, answer[1].ConvertToString());
        Assert.Equal((byte)ZeroBridge.Protocol.Majordomo.Command.Disconnect, answer[2].Buffer[0]);
        Assert.Null(_broker.Status.Service("erp"));
    }
}
