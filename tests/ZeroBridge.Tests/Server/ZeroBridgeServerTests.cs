using System.Text;
using System.Text.Json;
using MessagePack;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Commands;
using ZeroBridge.Protocol;
using ZeroBridge.Server;
using ZeroBridge.Tests.Fixtures;

namespace ZeroBridge.Tests.Server;

public class ZeroBridgeServerTests
{
    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(10);

    private static CommandRegistry Commands(TaskCompletionSource? slowStarted = null, TaskCompletionSource<bool>? slowCancelled = null) =>
        new CommandRegistry()
            .Add("add", (int a, int b = 10) => a + b)
            .Add("echo", (object? value) => value)
            .Add("fail", (string message) => Fail(message))
            .Add("slow", async (CancellationToken cancellationToken) =>
            {
                slowStarted?.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    slowCancelled?.TrySetResult(true);
                    throw;
                }
                return "never";
            });

    private static int Fail(string message) => throw new InvalidOperationException(message);

    [Fact]
    public async Task Ping_and_commands_are_built_in()
    {
        await using var running = new RunningServer(Commands());
        Assert.True(await running.Client.PingAsync());
        var list = await running.Client.CallAsync<List<Dictionary<string, object?>>>("commands");
        Assert.Contains(list!, c => (string?)c["name"] == "add");
    }

    [Fact]
    public async Task Keyword_arguments_bind_and_defaults_apply()
    {
        await using var running = new RunningServer(Commands());
        Assert.Equal(3, await running.Client.CallAsync<int>("add", new { a = 1, b = 2 }));
        Assert.Equal(11, await running.Client.CallAsync<int>("add", new { a = 1 }));
        Assert.Equal(5, await running.Client.CallPositionalAsync<int>("add", [2, 3]));
    }

    [Fact]
    public async Task Call_with_unknown_command_names_it()
    {
        await using var running = new RunningServer(Commands());
        var error = await Assert.ThrowsAsync<RemoteCommandNotFoundException>(() => running.Client.CallAsync("ad"));
        Assert.Equal(ErrorCodes.UnknownCommand, error.Code);
        Assert.Contains("'ad'", error.Message);
        Assert.Contains("add", error.Message);
    }

    [Fact]
    public async Task Mistyped_and_missing_arguments_name_the_parameter_and_type()
    {
        await using var running = new RunningServer(Commands());
        var mistyped = await Assert.ThrowsAsync<RemoteInvalidArgumentException>(() => running.Client.CallAsync("add", new { a = "x" }));
        Assert.Equal(ErrorCodes.InvalidArgument, mistyped.Code);
        Assert.Equal("a", mistyped.Details["parameter"]);
        Assert.Contains("must be int; got str", mistyped.Message);
        var missing = await Assert.ThrowsAsync<RemoteInvalidArgumentException>(() => running.Client.CallAsync("add", new { b = 1 }));
        Assert.Contains("missing required argument 'a'", missing.Message);
        var unknown = await Assert.ThrowsAsync<RemoteInvalidArgumentException>(() => running.Client.CallAsync("add", new { a = 1, c = 1 }));
        Assert.Contains("unexpected argument 'c'", unknown.Message);
        var overflow = await Assert.ThrowsAsync<RemoteInvalidArgumentException>(() => running.Client.CallAsync("add", new { a = long.MaxValue }));
        Assert.Equal(ErrorCodes.InvalidArgument, overflow.Code);
    }

    [Fact]
    public async Task A_throwing_handler_reports_type_message_and_stack_and_the_server_goes_on()
    {
        await using var running = new RunningServer(Commands());
        var error = await Assert.ThrowsAsync<ZeroBridgeRemoteException>(() => running.Client.CallAsync("fail", new { message = "boom" }));
        Assert.Equal(ErrorCodes.CommandFailed, error.Code);
        Assert.Equal("System.InvalidOperationException", error.RemoteType);
        Assert.Equal("boom", error.Message);
        Assert.Contains(nameof(Fail), error.RemoteStackTrace);
        Assert.True(await running.Client.PingAsync());
    }

    [Fact]
    public async Task A_slow_command_does_not_block_others()
    {
        var started = new TaskCompletionSource();
        await using var running = new RunningServer(Commands(started));
        var slow = running.Client.CallAsync("slow", timeout: TimeSpan.FromSeconds(30));
        await started.Task.WaitAsync(ReceiveTimeout);
        Assert.Equal(3, await running.Client.CallAsync<int>("add", new { a = 1, b = 2 }));
        Assert.False(slow.IsCompleted);
    }

    [Fact]
    public async Task A_synchronous_command_that_blocks_does_not_hold_the_socket()
    {
        // A plain method that blocks (a long SQL query, a file read) must not stop the server from taking and
        // answering other requests while it runs.
        using var release = new ManualResetEventSlim();
        var started = new TaskCompletionSource();
        var commands = Commands().Add("blocking", () =>
        {
            started.TrySetResult();
            release.Wait(TimeSpan.FromSeconds(30));
            return "released";
        });
        await using var running = new RunningServer(commands);
        var blocking = running.Client.CallAsync<string>("blocking", timeout: TimeSpan.FromSeconds(30));
        await started.Task.WaitAsync(ReceiveTimeout);
        try
        {
            Assert.Equal(3, await running.Client.CallAsync<int>("add", new { a = 1, b = 2 }).WaitAsync(ReceiveTimeout));
            Assert.False(blocking.IsCompleted);
        }
        finally
        {
            release.Set();
        }
        Assert.Equal("released", await blocking.WaitAsync(ReceiveTimeout));
    }

    [Fact]
    public async Task A_caller_that_gives_up_cancels_the_command()
    {
        var started = new TaskCompletionSource();
        var cancelled = new TaskCompletionSource<bool>();
        await using var running = new RunningServer(Commands(started, cancelled));
        using var giveUp = new CancellationTokenSource();
        var call = running.Client.CallAsync("slow", timeout: TimeSpan.FromMinutes(1), cancellationToken: giveUp.Token);
        await started.Task.WaitAsync(ReceiveTimeout);
        giveUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.True(await cancelled.Task.WaitAsync(ReceiveTimeout));
    }

    [Fact]
    public async Task A_deadline_times_out_the_call_and_the_command()
    {
        var cancelled = new TaskCompletionSource<bool>();
        await using var running = new RunningServer(Commands(slowCancelled: cancelled));
        var error = await Assert.ThrowsAsync<ZeroBridgeTimeoutException>(() => running.Client.CallAsync("slow", timeout: TimeSpan.FromMilliseconds(300)));
        Assert.Contains(running.Server.Endpoint, error.Message);
        Assert.True(await cancelled.Task.WaitAsync(ReceiveTimeout));
        Assert.True(await running.Client.PingAsync());
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_request_cancels_it_and_others_are_served()
    {
        var started = new TaskCompletionSource();
        var cancelled = new TaskCompletionSource<bool>();
        await using var running = new RunningServer(Commands(started, cancelled));
        using (var dealer = new DealerSocket())
        {
            dealer.Options.Linger = TimeSpan.Zero;
            dealer.Connect(running.Server.Endpoint);
            dealer.SendMultipartMessage(BridgeMessage(1, "slow"));
            await started.Task.WaitAsync(ReceiveTimeout);
        }
        Assert.True(await cancelled.Task.WaitAsync(ReceiveTimeout));
        Assert.True(await running.Client.PingAsync());
    }

    [Fact]
    public async Task Json_gateway_serves_a_plain_req_socket()
    {
        await using var running = new RunningServer(Commands());
        using var req = new RequestSocket(running.Server.Endpoint);
        Assert.Equal("""{"ok":true,"result":[1,2]}""", Exchange(req, """{"command": "echo", "args": {"value": [1, 2]}}"""));
        Assert.Equal("""{"ok":true,"result":"pong"}""", Exchange(req, "ping"));
        using var error = JsonDocument.Parse(Exchange(req, """{"command": "nope"}"""));
        Assert.False(error.RootElement.GetProperty("ok").GetBoolean());
        Assert.Equal("unknown_command", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        using var bad = JsonDocument.Parse(Exchange(req, """{"command": """));
        Assert.Equal("bad_request", bad.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Garbage_and_truncated_frames_get_error_replies()
    {
        await using var running = new RunningServer(Commands());
        using var dealer = new DealerSocket();
        dealer.Options.Linger = TimeSpan.Zero;
        dealer.Connect(running.Server.Endpoint);

        // Invalid UTF-8 in one frame: a gateway error in JSON.
        dealer.SendMoreFrameEmpty().SendFrame(new byte[] { 0xff, 0xfe, 0x00 });
        Assert.Contains("bad_request", Encoding.UTF8.GetString(ReceiveBody(dealer)[0]));

        // MDP with a header that is not msgpack: a bridge error.
        dealer.SendMultipartMessage(Frames([], "MDPC01"u8.ToArray(), "svc"u8.ToArray(), [0xc1]));
        var reply = ReceiveBody(dealer);
        Assert.Equal("MDPC01", Encoding.ASCII.GetString(reply[0]));
        Assert.False(MessagePackSerializer.Deserialize<Dictionary<string, object>>(reply[2])["ok"] is true);

        // Arguments that are not [positional, keyword].
        var message = BridgeMessage(5, "add");
        message.Append(MessagePackSerializer.Serialize(42));
        dealer.SendMultipartMessage(message);
        var payload = MessagePackSerializer.Deserialize<Dictionary<string, object>>(ReceiveBody(dealer)[3]);
        Assert.Equal("bad_request", payload["code"]);

        Assert.True(await running.Client.PingAsync());
    }

    [Fact]
    public async Task Oversized_requests_get_too_large_and_the_server_goes_on()
    {
        await using var running = new RunningServer(Commands(), ZeroBridgeServerOptions.Default with { MaxRequestBytes = 100_000 });
        var error = await Assert.ThrowsAsync<RequestTooLargeException>(() => running.Client.CallAsync("echo", new { value = new byte[200_000] }));
        Assert.Equal(ErrorCodes.TooLarge, error.Code);
        Assert.True(await running.Client.PingAsync());
    }

    [Fact]
    public async Task Many_concurrent_calls_each_get_their_own_reply()
    {
        await using var running = new RunningServer(Commands());
        var calls = Enumerable.Range(0, 200).Select(i => running.Client.CallAsync<int>("add", new { a = i, b = i })).ToList();
        var results = await Task.WhenAll(calls);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => 2 * i), results);
    }

    private static string Exchange(RequestSocket socket, string request)
    {
        socket.SendFrame(request);
        Assert.True(socket.TryReceiveFrameString(ReceiveTimeout, out var reply), "no reply in time");
        return reply!;
    }

    private static List<byte[]> ReceiveBody(DealerSocket socket)
    {
        var message = new NetMQMessage();
        Assert.True(socket.TryReceiveMultipartMessage(ReceiveTimeout, ref message), "no reply in time");
        Assert.Equal(0, message[0].MessageSize); // the delimiter comes back
        return message.Skip(1).Select(f => f.ToByteArray()).ToList();
    }

    private static NetMQMessage BridgeMessage(long id, string command) =>
        Frames([], "MDPC01"u8.ToArray(), "zerobridge"u8.ToArray(),
            MessagePackSerializer.Serialize(new Dictionary<string, object> { ["v"] = 1, ["id"] = id, ["cmd"] = command }));

    private static NetMQMessage Frames(params byte[][] frames)
    {
        var message = new NetMQMessage();
        foreach (var frame in frames)
            message.Append(frame);
        return message;
    }
}
