using System.Text.Json;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Commands;
using ZeroBridge.Tests.Fixtures;

namespace ZeroBridge.Tests.Server;

/// <summary>
/// Commands declared <see cref="NonBlockingAttribute">non-blocking</see> run on the server's socket thread (no hop to
/// the pool and back); everything else, and anything that turns out not to be quick, still never holds the socket.
/// </summary>
public class NonBlockingCommandTests
{
    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The thread a command runs on: "pool", or the name of the dedicated thread.</summary>
    private static string Here() => Thread.CurrentThread.IsThreadPoolThread ? "pool" : Thread.CurrentThread.Name ?? "unnamed";

    private static CommandRegistry Commands() => new CommandRegistry()
        .Add("inline.where", [NonBlocking] (string? padding) => Here())
        .Add("pooled.where", (string? padding) => Here())
        .Add("add", (int a, int b) => a + b);

    [Fact]
    public async Task A_non_blocking_command_runs_on_the_socket_thread_and_an_undeclared_one_on_the_pool()
    {
        await using var running = new RunningServer(Commands());

        var inline = await running.Client.CallAsync<string>("inline.where", new { padding = "x" });
        var pooled = await running.Client.CallAsync<string>("pooled.where", new { padding = "x" });

        Assert.Equal($"ZeroBridge server {running.Server.Endpoint}", inline);
        Assert.Equal("pool", pooled);
    }

    [Fact]
    public async Task Through_the_json_gateway_too_a_non_blocking_command_runs_on_the_socket_thread()
    {
        await using var running = new RunningServer(Commands());
        using var req = new RequestSocket(running.Server.Endpoint);

        Assert.Equal($$"""{"ok":true,"result":"ZeroBridge server {{running.Server.Endpoint}}"}""",
            Exchange(req, """{"command": "inline.where", "args": {"padding": "x"}}"""));
        Assert.Equal("""{"ok":true,"result":"pool"}""", Exchange(req, """{"command": "pooled.where", "args": {"padding": "x"}}"""));
        Assert.Equal("""{"ok":true,"result":"pool"}""",
            Exchange(req, "{\"command\": \"inline.where\", \"args\": {\"padding\": \"" + new string('x', 64 * 1024) + "\"}}"));
        using var bad = JsonDocument.Parse(Exchange(req, """{"command": """));
        Assert.Equal("bad_request", bad.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    private static string Exchange(RequestSocket socket, string request)
    {
        socket.SendFrame(request);
        Assert.True(socket.TryReceiveFrameString(ReceiveTimeout, out var reply), "no reply in time");
        return reply!;
    }

    [Fact]
    public async Task A_large_request_for_a_non_blocking_command_runs_on_the_pool()
    {
        await using var running = new RunningServer(Commands());

        var ranOn = await running.Client.CallAsync<string>("inline.where", new { padding = new string('x', 64 * 1024) });

        Assert.Equal("pool", ranOn);
    }

    [Fact]
    public async Task A_non_blocking_command_that_goes_asynchronous_does_not_hold_the_socket()
    {
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var commands = Commands().Add("inline.waits", [NonBlocking] () => release.Task);
        await using var running = new RunningServer(commands);

        var waiting = running.Client.CallAsync<string>("inline.waits", timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(3, await running.Client.CallAsync<int>("add", new { a = 1, b = 2 }).WaitAsync(ReceiveTimeout));
        Assert.False(waiting.IsCompleted);

        release.SetResult("released");
        Assert.Equal("released", await waiting.WaitAsync(ReceiveTimeout));
    }
}
