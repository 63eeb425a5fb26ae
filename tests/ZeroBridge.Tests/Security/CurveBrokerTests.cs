using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Security;
using ZeroBridge.Majordomo;

namespace ZeroBridge.Tests.Security;

/// <summary>The Majordomo broker with CURVE on both sides: clients and MDP workers pin the broker's key.</summary>
public class CurveBrokerTests
{
    private static readonly ZeroBridgeCertificate BrokerKeys = ZeroBridgeCertificate.Generate();

    [Fact]
    public async Task A_client_reaches_a_worker_through_a_CURVE_broker()
    {
        await using var broker = new ZeroBridgeBroker(ZeroBridgeBrokerOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            Certificate = BrokerKeys,
        });
        await broker.StartAsync();
        await using var worker = new ZeroBridgeWorker(new CommandRegistry().Add("echo", (string text) => text), broker.Endpoint, "erp",
            ZeroBridgeWorkerOptions.Default with { ServerKey = BrokerKeys.PublicKey, Certificate = ZeroBridgeCertificate.Generate() });
        await worker.StartAsync();
        using var client = new ZeroBridgeClient(broker.Endpoint, ZeroBridgeClientOptions.Default with
        {
            Service = "erp",
            ServerKey = BrokerKeys.PublicKey,
            Timeout = TimeSpan.FromSeconds(20),
        });

        Assert.Equal("through the broker", await client.CallAsync<string>("echo", new { text = "through the broker" }));
    }

    [Fact]
    public async Task A_worker_with_an_allow_list_behind_a_broker_without_one_runs_only_the_built_ins()
    {
        await using var broker = new ZeroBridgeBroker(ZeroBridgeBrokerOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            Certificate = BrokerKeys,
        });
        await broker.StartAsync();
        int calls = 0;
        string allowed = Directory.CreateTempSubdirectory("zerobridge-worker-allow-").FullName;
        try
        {
            var clientKeys = ZeroBridgeCertificate.Generate(new Dictionary<string, string> { ["name"] = "alice", ["commands"] = "echo" });
            clientKeys.PublicOnly().Save(allowed, "alice");
            await using var worker = new ZeroBridgeWorker(new CommandRegistry().Add("echo", (string text) => { Interlocked.Increment(ref calls); return text; }),
                broker.Endpoint, "erp", ZeroBridgeWorkerOptions.Default with { ServerKey = BrokerKeys.PublicKey, AllowList = AllowList.FromDirectory(allowed) });
            await worker.StartAsync();
            using var client = new ZeroBridgeClient(broker.Endpoint, ZeroBridgeClientOptions.Default with
            {
                Service = "erp",
                ServerKey = BrokerKeys.PublicKey,
                Certificate = clientKeys,
                Timeout = TimeSpan.FromSeconds(20),
            });

            // The broker authenticates nobody, so no caller is stamped: the worker's allow-list then grants nothing.
            var denied = await Assert.ThrowsAsync<RemotePermissionDeniedException>(() => client.CallAsync<string>("echo", new { text = "x" }));
            Assert.Contains("did not authenticate", denied.Message);
            Assert.Equal("pong", await client.CallAsync<string>("ping"));
            Assert.Equal(0, calls);
        }
        finally
        {
            Directory.Delete(allowed, recursive: true);
        }
    }

    [Fact]
    public async Task A_worker_with_a_wrong_broker_key_never_receives_a_request()
    {
        await using var broker = new ZeroBridgeBroker(ZeroBridgeBrokerOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            Certificate = BrokerKeys,
            RequestTimeout = TimeSpan.FromSeconds(1),
        });
        await broker.StartAsync();
        int calls = 0;
        await using var worker = new ZeroBridgeWorker(new CommandRegistry().Add("echo", (string text) => { Interlocked.Increment(ref calls); return text; }),
            broker.Endpoint, "erp", ZeroBridgeWorkerOptions.Default with { ServerKey = ZeroBridgeCertificate.Generate().PublicKey });
        await worker.StartAsync();
        using var client = new ZeroBridgeClient(broker.Endpoint, ZeroBridgeClientOptions.Default with
        {
            Service = "erp",
            ServerKey = BrokerKeys.PublicKey,
            Timeout = TimeSpan.FromSeconds(20),
        });

        // The broker answers (so the client's handshake worked) that no worker offers the service.
        var error = await Assert.ThrowsAnyAsync<ZeroBridgeRemoteException>(() => client.CallAsync<string>("echo", new { text = "x" }));
        Assert.Equal("service_unavailable", error.Code);
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task A_broker_beyond_loopback_without_CURVE_refuses_to_start_unless_insecure()
    {
        await using var refused = new ZeroBridgeBroker(ZeroBridgeBrokerOptions.Default with { Endpoint = "tcp://0.0.0.0:*" });
        Assert.Contains("zbridge keygen", (await Assert.ThrowsAsync<ZeroBridgeException>(() => refused.StartAsync())).Message);

        await using var insecure = new ZeroBridgeBroker(ZeroBridgeBrokerOptions.Default with { Endpoint = "tcp://0.0.0.0:*", Insecure = true });
        await insecure.StartAsync();
        Assert.StartsWith("tcp://0.0.0.0:", insecure.Endpoint);
    }
}
