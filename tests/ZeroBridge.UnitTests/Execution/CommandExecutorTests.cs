using MessagePack;
using Microsoft.Extensions.Logging.Abstractions;
using ZeroBridge.Commands;
using ZeroBridge.Execution;
using ZeroBridge.Protocol;
using ZeroBridge.Serialization;

namespace ZeroBridge.UnitTests.Execution;

/// <summary>The executor alone: no sockets, no envelopes; what every route gets from it.</summary>
public class CommandExecutorTests
{
    private static readonly CallerContext Caller = new("test-peer");
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CommandExecutor Executor(CommandRegistry commands, int maxConcurrency = int.MaxValue) =>
        new(commands, CommandExecutorOptions.Default with { MaxConcurrency = maxConcurrency }, NullLogger.Instance);

    private static byte[] Keyword(object arguments) =>
        MessagePackSerializer.Serialize(new object[] { Array.Empty<object>(), arguments }, WireSerializer.BaseOptions);

    private static CommandCall Call(string command, TimeSpan? timeout = null, object? arguments = null) =>
        new(command, timeout, arguments is null ? null : Keyword(arguments), []);

    [Fact]
    public async Task A_command_runs_with_its_bound_arguments_and_the_callers_peer()
    {
        using var executor = Executor(new CommandRegistry()
            .Add("add", (int a, int b) => a + b)
            .Add("who", (CommandContext context) => context.Peer));
        var sum = await executor.ExecuteAsync(Call("add", arguments: new Dictionary<string, object> { ["a"] = 2, ["b"] = 3 }), Caller, default);
        Assert.True(sum.Ok);
        Assert.Equal(5, sum.Result);
        Assert.Equal("test-peer", (await executor.ExecuteAsync(Call("who"), Caller, default)).Result);
    }

    [Fact]
    public async Task Failures_become_error_maps_with_their_codes()
    {
        using var executor = Executor(new CommandRegistry()
            .Add("missing", string () => throw new NotFoundException("no such order"))
            .Add("boom", int () => throw new InvalidOperationException("boom")));
        Assert.Equal(ErrorCodes.UnknownCommand, (await executor.ExecuteAsync(Call("nope"), Caller, default)).Error!.Code);
        Assert.Equal(ErrorCodes.NotFound, (await executor.ExecuteAsync(Call("missing"), Caller, default)).Error!.Code);
        var failed = (await executor.ExecuteAsync(Call("boom"), Caller, default)).Error!;
        Assert.Equal(ErrorCodes.CommandFailed, failed.Code);
        Assert.Equal(typeof(InvalidOperationException).FullName, failed.Type);
    }

    [Fact]
    public async Task A_command_that_ignores_its_token_gets_timeout_at_the_deadline_and_keeps_its_slot_until_it_returns()
    {
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var commands = new CommandRegistry()
            .Add("stubborn", () =>
            {
                started.Set();
                release.Wait(Patience); // blocks and never looks at a token
                return "late";
            })
            .Add("ping2", () => "pong");
        using var executor = Executor(commands, maxConcurrency: 1);

        // A deadline can pass before a loaded pool even starts the command (it then never runs); give it a longer
        // one each time until the command is running when its deadline passes.
        for (var deadline = TimeSpan.FromMilliseconds(100); !started.IsSet && deadline < Patience; deadline *= 2)
        {
            var outcome = await executor.ExecuteAsync(Call("stubborn", deadline), Caller, default).WaitAsync(Patience);
            Assert.Equal(ErrorCodes.Timeout, outcome.Error?.Code); // answered while the command blocks
        }
        Assert.True(started.IsSet);
        Assert.False(release.IsSet);

        // The stubborn command still holds the only slot: the next call waits for it, and reaches its own deadline.
        var queued = await executor.ExecuteAsync(Call("ping2", TimeSpan.FromMilliseconds(200)), Caller, default).WaitAsync(Patience);
        Assert.Equal(ErrorCodes.Timeout, queued.Error?.Code);

        release.Set(); // the stubborn command returns; its "late" result is dropped and the slot frees
        var after = await executor.ExecuteAsync(Call("ping2"), Caller, default).WaitAsync(Patience);
        Assert.Equal("pong", after.Result);
    }

    [Fact]
    public async Task A_route_cancellation_is_cancelled_not_timeout()
    {
        using var executor = Executor(new CommandRegistry()
            .Add("wait", async (CancellationToken token) => { await Task.Delay(Timeout.Infinite, token); return 0; }));
        using var cancel = new CancellationTokenSource();
        var running = executor.ExecuteAsync(Call("wait", TimeSpan.FromMinutes(5)), Caller, cancel.Token);
        cancel.Cancel();
        Assert.Equal(ErrorCodes.Cancelled, (await running.WaitAsync(Patience)).Error?.Code);
    }

    [Fact]
    public async Task A_result_that_cannot_be_serialized_encodes_as_an_internal_error()
    {
        using var executor = Executor(new CommandRegistry().Add("handle", () => new Unserializable()));
        var outcome = await executor.ExecuteAsync(Call("handle"), Caller, default);
        var encoded = executor.Encode(outcome, chunkTables: true);
        Assert.False(encoded.Ok);
        Assert.Equal(ErrorCodes.Internal, ErrorMap.Decode(encoded.Payload, WireSerializer.BaseOptions).Code);
    }

    [Fact]
    public async Task A_bridge_request_body_becomes_a_reply_body_that_echoes_its_id()
    {
        using var executor = Executor(new CommandRegistry().Add("twice", (int n) => n * 2));
        var request = RequestBody.Parse([RequestHeader.WriteCall(77, "twice", TimeSpan.FromSeconds(30), []),
            Keyword(new Dictionary<string, object> { ["n"] = 21 })], out _);
        var reply = await executor.RunAsync(request, Caller, default);
        Assert.True(ReplyHeader.TryRead(reply.Header, out long id, out bool ok));
        Assert.Equal(77, id);
        Assert.True(ok);
        Assert.Equal(42, MessagePackSerializer.Deserialize<int>(reply.Payload));
    }

    [Fact]
    public async Task An_unknown_ext_type_binds_to_object_as_an_opaque_value_and_goes_back_byte_for_byte()
    {
        using var executor = Executor(new CommandRegistry().Add("echo", (object? value) => value));
        // [[<ext 42: 01 02 03>], {}]
        byte[] arguments = [0x92, 0x91, 0xC7, 0x03, 42, 1, 2, 3, 0x80];
        var outcome = await executor.ExecuteAsync(new CommandCall("echo", null, arguments, []), Caller, default);
        var opaque = Assert.IsType<OpaqueExtension>(outcome.Result);
        Assert.Equal(42, opaque.TypeCode);
        var encoded = executor.Encode(outcome, chunkTables: true);
        Assert.True(encoded.Ok);
        Assert.Equal(new byte[] { 0xC7, 0x03, 42, 1, 2, 3 }, encoded.Payload);
    }

    [Fact]
    public async Task A_reply_cutting_more_tables_than_may_stay_open_is_an_internal_error_that_keeps_none_of_them()
    {
        static System.Data.IDataReader Numbers()
        {
            var table = new System.Data.DataTable();
            table.Columns.Add("n", typeof(long));
            for (long i = 0; i < 2000; i++)
                table.Rows.Add(i);
            return table.CreateDataReader();
        }
        var readers = new List<System.Data.IDataReader>();
        System.Data.IDataReader Track(System.Data.IDataReader reader)
        {
            readers.Add(reader);
            return reader;
        }
        using var executor = new CommandExecutor(new CommandRegistry()
                .Add("two", () => new Dictionary<string, object> { ["a"] = Track(Numbers()), ["b"] = Track(Numbers()) })
                .Add("one", () => Track(Numbers())),
            CommandExecutorOptions.Default with { TableChunkBytes = 1024, MaxOpenTableCursors = 1 }, NullLogger.Instance);

        var refused = executor.Encode(await executor.ExecuteAsync(Call("two"), Caller, default), chunkTables: true);

        Assert.False(refused.Ok);
        Assert.Equal(ErrorCodes.Internal, ErrorMap.Decode(refused.Payload, WireSerializer.BaseOptions).Code);
        Assert.All(readers, reader => Assert.True(reader.IsClosed));
        // Nothing of the refused reply holds the only cursor slot.
        Assert.True(executor.Encode(await executor.ExecuteAsync(Call("one"), Caller, default), chunkTables: true).Ok);
    }

    private sealed class Unserializable
    {
        public int Value => throw new InvalidOperationException("this property cannot be read");
    }
}
