using ZeroBridge.Commands;
using ZeroBridge.Security;
using ZeroBridge.Tasks;
using ZeroBridge.Tests.Fixtures;
using ZeroBridge.Tests.Tasks;

namespace ZeroBridge.Tests.Security;

/// <summary>
/// A task producer with an allow-list (docs/security.md, "Task workers"): workers prove their keys on their connection
/// before they get a task. Real producer, C# workers and Python worker processes on loopback CURVE sockets.
/// </summary>
public sealed class TaskWorkerAuthenticationTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly TaskRunOptions Job = TaskRunOptions.Default with { Timeout = TimeSpan.FromSeconds(60) };
    private static readonly TimeSpan Heartbeat = TimeSpan.FromMilliseconds(100);
    private readonly ZeroBridgeCertificate _producerKeys = ZeroBridgeCertificate.Generate();
    private readonly string _allowed = Directory.CreateTempSubdirectory("zerobridge-task-allow-").FullName;
    private readonly string _keys = Directory.CreateTempSubdirectory("zerobridge-task-keys-").FullName;
    private readonly ListLogger<ZeroBridgeTaskProducer> _log = new();

    public void Dispose()
    {
        Directory.Delete(_allowed, recursive: true);
        Directory.Delete(_keys, recursive: true);
    }

    private async Task<ZeroBridgeTaskProducer> StartProducer(string endpoint = "tcp://127.0.0.1:*")
    {
        var producer = new ZeroBridgeTaskProducer(ZeroBridgeTaskProducerOptions.Default with
        {
            Endpoint = endpoint,
            Certificate = _producerKeys,
            AllowList = AllowList.FromDirectory(_allowed),
        }, _log);
        await producer.StartAsync();
        return producer;
    }

    private ZeroBridgeCertificate Allowed(string name)
    {
        var certificate = ZeroBridgeCertificate.Generate(new Dictionary<string, string> { ["name"] = name });
        certificate.PublicOnly().Save(_allowed, name);
        return certificate;
    }

    private async Task<ZeroBridgeTaskWorker> StartWorker(ZeroBridgeTaskProducer producer, string name, ZeroBridgeCertificate? certificate)
    {
        var worker = new ZeroBridgeTaskWorker(new CommandRegistry().Add("square", (long x) => x * x), producer.Endpoint,
            ZeroBridgeTaskWorkerOptions.Default with
            {
                Name = name,
                HeartbeatInterval = Heartbeat,
                ServerKey = _producerKeys.PublicKey,
                Certificate = certificate,
            });
        await worker.StartAsync();
        return worker;
    }

    /// <summary>A Python worker process (python/tests/task_worker_fixture.py) proving <paramref name="certificate"/>.</summary>
    private void StartPythonWorker(PythonTaskWorkers python, ZeroBridgeTaskProducer producer, string name, ZeroBridgeCertificate certificate)
    {
        string serverKey = _producerKeys.PublicOnly().Save(_keys, "producer", overwrite: true).PublicPath;
        string secret = certificate.Save(_keys, name).SecretPath!;
        python.Start(producer.Endpoint, name, ("ZB_SERVER_KEY", serverKey), ("ZB_CERT", secret), ("ZB_HEARTBEAT", "0.1"));
    }

    private static async Task<List<TaskResult>> Run(ZeroBridgeTaskProducer producer, int count)
    {
        var results = new List<TaskResult>();
        await foreach (var result in producer.RunAsync("square", Enumerable.Range(0, count).Select(i => (long)i), Job))
            results.Add(result);
        Assert.All(results, r => Assert.Equal((long)r.Index * r.Index, r.Get<long>()));
        return results;
    }

    [Fact]
    public async Task Allowed_CSharp_and_Python_workers_prove_their_keys_and_get_tasks()
    {
        using var python = new PythonTaskWorkers();
        await using var producer = await StartProducer();
        await using var dotnet = await StartWorker(producer, "cs-allowed", Allowed("cs-allowed"));
        StartPythonWorker(python, producer, "py-allowed", Allowed("py-allowed"));
        await producer.WaitForWorkersAsync(2, Wait);

        var results = await Run(producer, 40);

        Assert.Equal(["cs-allowed", "py-allowed"], results.Select(r => r.Worker).Distinct().Order());
    }

    [Fact]
    public async Task Workers_with_unknown_keys_get_no_task_while_an_allowed_worker_completes_them_all()
    {
        using var python = new PythonTaskWorkers();
        await using var producer = await StartProducer();
        var stranger = ZeroBridgeCertificate.Generate();
        await using var unknown = await StartWorker(producer, "cs-unknown", stranger);
        await using var anonymous = await StartWorker(producer, "cs-no-certificate", null);
        StartPythonWorker(python, producer, "py-unknown", ZeroBridgeCertificate.Generate());
        await using var allowed = await StartWorker(producer, "cs-allowed", Allowed("cs-allowed"));
        await producer.WaitForWorkersAsync(1, Wait);

        var results = await Run(producer, 40);

        Assert.All(results, r => Assert.Equal("cs-allowed", r.Worker));
        Assert.Equal(0, unknown.Completed + anonymous.Completed);
        Assert.Equal(["cs-allowed"], producer.Workers);
        Assert.Contains(_log.Lines, line => line.Contains(stranger.PublicKey) && line.Contains("not on the allow-list"));
        Assert.Contains(_log.Lines, line => line.Contains("cs-no-certificate") && line.Contains("gets no task"));
    }

    [Fact]
    public async Task A_key_added_to_the_allow_list_directory_gets_tasks_without_a_restart()
    {
        using var python = new PythonTaskWorkers();
        await using var producer = await StartProducer();
        var dotnetKeys = ZeroBridgeCertificate.Generate(new Dictionary<string, string> { ["name"] = "cs-late" });
        var pythonKeys = ZeroBridgeCertificate.Generate(new Dictionary<string, string> { ["name"] = "py-late" });
        await using var dotnet = await StartWorker(producer, "cs-late", dotnetKeys);
        StartPythonWorker(python, producer, "py-late", pythonKeys);
        await Assert.ThrowsAsync<ZeroBridgeTimeoutException>(() => producer.WaitForWorkersAsync(1, TimeSpan.FromSeconds(2)));
        Assert.Contains(_log.Lines, line => line.Contains(dotnetKeys.PublicKey) && line.Contains("not on the allow-list"));

        dotnetKeys.PublicOnly().Save(_allowed, "cs-late");
        pythonKeys.PublicOnly().Save(_allowed, "py-late");
        await producer.WaitForWorkersAsync(2, Wait);

        var results = await Run(producer, 40);
        Assert.Equal(["cs-late", "py-late"], results.Select(r => r.Worker).Distinct().Order());
    }

    [Fact]
    public async Task A_key_removed_from_the_allow_list_loses_its_worker_at_once_and_gets_no_task_more()
    {
        await using var producer = await StartProducer();
        await using var leaving = await StartWorker(producer, "cs-leaving", Allowed("cs-leaving"));
        await using var staying = await StartWorker(producer, "cs-staying", Allowed("cs-staying"));
        await producer.WaitForWorkersAsync(2, Wait);
        Assert.Equal(["cs-leaving", "cs-staying"], (await Run(producer, 20)).Select(r => r.Worker).Distinct().Order());

        File.Delete(Path.Combine(_allowed, "cs-leaving" + ZeroBridgeCertificate.PublicExtension));
        await _log.WaitUntilAsync(lines => lines.Any(line => line.Contains("cs-leaving") && line.Contains("no longer on the allow-list")), Wait);
        long ranBefore = leaving.Completed;

        // Dropped in the recheck that logged it (before the socket thread dispatches anything more): every task goes
        // to the other worker, and the removed key is sent none.
        var results = await Run(producer, 20);
        Assert.All(results, r => Assert.Equal("cs-staying", r.Worker));
        Assert.Equal(ranBefore, leaving.Completed);
        Assert.Equal(["cs-staying"], producer.Workers);
    }

    [Fact]
    public async Task Workers_prove_again_to_a_producer_restarted_on_the_same_endpoint()
    {
        using var python = new PythonTaskWorkers();
        var first = await StartProducer();
        string endpoint = first.Endpoint;
        await using var dotnet = await StartWorker(first, "cs-allowed", Allowed("cs-allowed"));
        StartPythonWorker(python, first, "py-allowed", Allowed("py-allowed"));
        await first.WaitForWorkersAsync(2, Wait);
        await first.DisposeAsync(); // its proofs go with it

        await using var second = await StartProducer(endpoint);
        await second.WaitForWorkersAsync(2, Wait); // counted only after proving on their new connections

        var results = await Run(second, 40);
        Assert.Equal(["cs-allowed", "py-allowed"], results.Select(r => r.Worker).Distinct().Order());
    }
}
