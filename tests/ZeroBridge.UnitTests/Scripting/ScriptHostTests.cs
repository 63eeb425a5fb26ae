using ZeroBridge.Commands;
using ZeroBridge.Protocol;
using ZeroBridge.Scripting;
using ZeroBridge.TestRecords;
using ZeroBridge.Transport;

namespace ZeroBridge.UnitTests.Scripting;

public class ScriptHostTests
{
    // Far above a first (cold) Roslyn compile on a loaded machine, which a script's timeout counts; tests of the
    // timeout itself give their run a short one.
    private static readonly TimeSpan Wait = TimeSpan.FromMinutes(4);

    private static ScriptHost<Inventory> Host(TimeSpan? timeout = null) => new(new Inventory(),
        ScriptingOptions.Default with { Enabled = true, WarmUp = false, Timeout = timeout ?? TimeSpan.FromMinutes(3), HardStopGrace = TimeSpan.FromSeconds(1) });

    private static Task<ScriptResult> Run(ScriptHost<Inventory> host, string code, string session = "s", TimeSpan? timeout = null) =>
        host.RunAsync(code, session, timeout, "peer", CancellationToken.None).WaitAsync(Wait);

    [Fact]
    public async Task The_last_expression_is_the_value_and_globals_are_visible()
    {
        using var host = Host();
        Assert.Equal(6, (await Run(host, "Count * 2")).Value);
        Assert.Equal("a,b", (await Run(host, "string.Join(\",\", Names)")).Value);
    }

    [Fact]
    public async Task Variables_functions_and_usings_persist_within_a_session()
    {
        using var host = Host();
        await Run(host, "using System.Text; var total = 40; int Twice(int x) => 2 * x;");
        Assert.Equal(42, (await Run(host, "total + Twice(1)")).Value);
        Assert.Equal("x", (await Run(host, "new StringBuilder(\"x\").ToString()")).Value);
        Assert.True(host.Reset("s"));
        var error = await Assert.ThrowsAsync<ScriptCompilationException>(() => Run(host, "total"));
        Assert.Contains("total", error.Message);
    }

    [Fact]
    public async Task Two_sessions_running_at_once_keep_their_own_state_and_output()
    {
        using var host = Host();
        await Task.WhenAll(Run(host, "var who = \"one\";", "one"), Run(host, "var who = \"two\";", "two"));
        var results = await Task.WhenAll(
            Run(host, "for (var i = 0; i < 200; i++) Console.Write(who[0]); who", "one"),
            Run(host, "for (var i = 0; i < 200; i++) Console.Write(who[0]); who", "two"));
        Assert.Equal("one", results[0].Value);
        Assert.Equal(new string('o', 200), results[0].Output);
        Assert.Equal("two", results[1].Value);
        Assert.Equal(new string('t', 200), results[1].Output);
    }

    [Fact]
    public async Task Console_output_is_captured_per_run()
    {
        using var host = Host();
        var result = await Run(host, "Console.WriteLine(\"hello\"); Console.Error.Write(\"err\"); 1");
        Assert.Equal("hello" + Environment.NewLine + "err", result.Output);
        Assert.Equal("", (await Run(host, "2")).Output);
    }

    [Fact]
    public async Task Compile_errors_report_line_and_column_of_the_code_as_written()
    {
        using var host = Host();
        var error = await Assert.ThrowsAsync<ScriptCompilationException>(() => Run(host, "var a = 1;\nwhile (a < 3) { a++; }\nint b = \"text\";"));
        Assert.Equal(ScriptErrorCodes.CompileError, error.Code);
        var diagnostic = Assert.Single((List<Dictionary<string, object?>>)error.Details!["diagnostics"]!);
        Assert.Equal(3, diagnostic["line"]);
        Assert.Equal(9, diagnostic["column"]);
        Assert.Equal("CS0029", diagnostic["id"]);
    }

    [Fact]
    public async Task Runtime_exceptions_carry_the_script_exception_type_and_output()
    {
        using var host = Host();
        var error = await Assert.ThrowsAsync<ScriptRuntimeException>(() => Run(host, "Console.Write(\"before\"); throw new InvalidOperationException(\"boom\");"));
        Assert.Equal("System.InvalidOperationException", error.RemoteType);
        Assert.Equal("boom", error.Message);
        Assert.Equal("before", error.Details!["output"]);
    }

    [Fact]
    public async Task A_timeout_stops_an_endless_loop_and_the_session_goes_on()
    {
        // Only the run under test gets the short timeout: the others compile on a possibly loaded machine, and the
        // timeout covers compiling too.
        using var host = Host();
        await Run(host, "var kept = 7;");
        var error = await Assert.ThrowsAsync<CommandException>(() => Run(host, "while (true) { }", timeout: TimeSpan.FromSeconds(1)));
        Assert.Equal(ErrorCodes.Timeout, error.Code);
        Assert.Contains("stopped", error.Message);
        Assert.Equal(7, (await Run(host, "kept")).Value);
    }

    [Fact]
    public async Task A_timeout_stops_endless_recursion_through_a_local_function()
    {
        using var host = Host(TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<CommandException>(() => Run(host, "int Spin(int n) { for(;;) { } } Spin(1)"));
        Assert.Equal(ErrorCodes.Timeout, error.Code);
    }

    [Fact]
    public async Task Code_blocked_outside_the_script_is_abandoned_and_its_session_reset()
    {
        // The blocking run gets a timeout long enough that compiling (slow on a loaded machine) ends before it; the
        // others the host's long one.
        using var host = Host();
        await Run(host, "var kept = 7;");
        var error = await Assert.ThrowsAsync<CommandException>(() => Run(host, "System.Threading.Thread.Sleep(30000);", timeout: TimeSpan.FromSeconds(3)));
        Assert.Equal(ErrorCodes.Timeout, error.Code);
        Assert.Contains("abandoned", error.Message);
        await Assert.ThrowsAsync<ScriptCompilationException>(() => Run(host, "kept"));
    }

    [Fact]
    public async Task A_runs_output_can_be_read_while_it_runs()
    {
        using var host = Host();
        using var stop = new CancellationTokenSource();
        var run = host.RunAsync("Console.Write(\"early\"); await System.Threading.Tasks.Task.Delay(60000);", "s", null, "peer", stop.Token,
            runId: "r1");

        var slice = await host.ReadOutputAsync("s", "r1", 0, TimeSpan.FromSeconds(30), CancellationToken.None).WaitAsync(Wait);
        while (slice.Text.Length == 0) // asked before the run began
            slice = await host.ReadOutputAsync("s", "r1", 0, TimeSpan.FromSeconds(30), CancellationToken.None).WaitAsync(Wait);
        Assert.Equal(("early", 5, true, false), (slice.Text, slice.Next, slice.Started, slice.Finished));

        var other = await host.ReadOutputAsync("s", "another run", 0, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(("", false), (other.Text, other.Started));

        stop.Cancel();
        await Assert.ThrowsAnyAsync<Exception>(() => run.WaitAsync(Wait));
        var last = await host.ReadOutputAsync("s", "r1", 5, TimeSpan.FromSeconds(30), CancellationToken.None).WaitAsync(Wait);
        Assert.Equal(("", true), (last.Text, last.Finished));
    }

    [Fact]
    public async Task Results_over_the_size_limit_are_refused()
    {
        using var host = new ScriptHost<Inventory>(new Inventory(), ScriptingOptions.Default with { Enabled = true, WarmUp = false, MaxResultBytes = 1000 });
        var error = await Assert.ThrowsAsync<CommandException>(() => Run(host, "new string('x', 5000)"));
        Assert.Equal(ErrorCodes.TooLarge, error.Code);
    }

    [Fact]
    public async Task Completion_and_inspection_see_the_globals_and_what_the_session_defined()
    {
        using var host = Host();
        await Run(host, "var answerOfTheSession = 42; int Twice(int x) => 2 * x;");

        var defined = await host.CompleteAsync("answerOf", 8, "s", CancellationToken.None).WaitAsync(Wait);
        Assert.Contains("answerOfTheSession", defined.Matches);
        Assert.Equal((0, 8), (defined.Start, defined.End));
        var global = await host.CompleteAsync("var n = Cou", 11, "s", CancellationToken.None).WaitAsync(Wait);
        Assert.Contains("Count", global.Matches);
        var elsewhere = await host.CompleteAsync("answerOf", 8, "another session", CancellationToken.None).WaitAsync(Wait);
        Assert.DoesNotContain("answerOfTheSession", elsewhere.Matches);

        string? twice = await host.InspectAsync("Twice(1)", 2, "s", CancellationToken.None).WaitAsync(Wait);
        Assert.Contains("Twice(int)", twice); // the symbol the session defined, as C# error messages name it
        Assert.Null(await host.InspectAsync("   ", 1, "s", CancellationToken.None).WaitAsync(Wait));
        var outside = await Assert.ThrowsAsync<CommandException>(() => host.CompleteAsync("x", 5, "s", CancellationToken.None));
        Assert.Equal(ErrorCodes.InvalidArgument, outside.Code);
    }

    [Fact]
    public async Task Completion_is_refused_when_scripts_are_disabled()
    {
        using var host = new ScriptHost<Inventory>(new Inventory(), ScriptingOptions.Default with { WarmUp = false });
        await Assert.ThrowsAsync<PermissionDeniedException>(() => host.CompleteAsync("Cou", 3, "s", CancellationToken.None));
    }

    [Theory]
    [InlineData("tcp://127.0.0.1:5555", true)]
    [InlineData("tcp://localhost:1", true)]
    [InlineData("tcp://[::1]:1", true)]
    [InlineData("ipc:///tmp/x", true)]
    [InlineData("tcp://10.0.0.1:1", false)]
    [InlineData("tcp://*:1", false)]
    public void Local_only_endpoints_are_recognised(string endpoint, bool local) =>
        Assert.Equal(local, EndpointAddress.IsLocalOnly(endpoint));
}
