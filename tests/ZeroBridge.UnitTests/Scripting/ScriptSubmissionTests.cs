using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using ZeroBridge.Scripting;
using ZeroBridge.TestRecords;

namespace ZeroBridge.UnitTests.Scripting;

public class ScriptSubmissionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromMinutes(4); // far above a cold Roslyn compile on a loaded machine

    [Fact]
    public async Task A_continuation_passes_none_of_the_references_it_inherits_and_still_sees_them()
    {
        var (first, globals) = await FirstAsync("var n = 1;");
        var second = await RunAsync(first, "var m = n + Count + new System.Text.StringBuilder(\"ab\").Length; m", globals);

        Assert.NotEmpty(first.Script!.Options.MetadataReferences);
        Assert.Empty(second.Script!.Options.MetadataReferences); // passed again, Roslyn would resolve and bind them anew
        Assert.Equal(1 + globals.Count + 2, second.ReturnValue);
    }

    [Theory]
    [InlineData("n + 1", false)]
    [InlineData("System.Console.Write(n);", false)]
    [InlineData("n = 5;", false)]
    [InlineData("{ var local = n; }", false)]
    [InlineData("var m = n;", true)]
    [InlineData("int.TryParse(\"7\", out var m);", true)]
    [InlineData("if (n is int m) { }", true)]
    [InlineData("int M() => n;", true)]
    [InlineData("class M { }", true)]
    [InlineData("using System.Text;", true)]
    [InlineData("#r \"System.Text.Json\"\nn", true)]
    public async Task Only_a_submission_that_declares_something_stays_in_the_chain(string code, bool declares)
    {
        var (first, globals) = await FirstAsync("var n = 1;");
        var finished = await RunAsync(first, code, globals);
        Assert.Same(declares ? finished : first, ScriptSubmission.NextState(first, finished));
    }

    [Fact]
    public async Task What_a_submission_left_out_of_the_chain_changed_stays_changed()
    {
        var (first, globals) = await FirstAsync("var n = 1; var list = new System.Collections.Generic.List<int>();");
        var next = ScriptSubmission.NextState(first, await RunAsync(first, "n = 5; list.Add(n); Count = 9;", globals));
        Assert.Same(first, next);
        Assert.Equal("5 1 9", (await RunAsync(next, "$\"{n} {list.Count} {Count}\"", globals)).ReturnValue);
    }

    public static TheoryData<string[]> Sessions => new()
    {
        new[] { "var n = 1;", "n + 1", "n = 5;", "n * 2", "int Twice(int x) => 2 * x;", "Twice(n) + Count", "n" },
        new[]
        {
            "var list = new System.Collections.Generic.List<int> { 1 };", "list.Add(2);", "list.Count",
            "throw new System.InvalidOperationException(\"boom\");", "list.Count", "await System.Threading.Tasks.Task.Yield(); list[1]",
            "await System.Threading.Tasks.Task.Yield(); throw new System.ArgumentException(\"late\");", "list[0]",
        },
        new[] { "1 + 1", "using System.Text;", "new StringBuilder(\"ab\").Length", "class Point { public int X = 3; }", "new Point().X", "undefined + 1", "Names.Count" },
        new[] { "System.Console.Write(1);", "var s = \"x\";", "s + s", "s = null;", "s ?? \"was null\"", "s.Length" },
    };

    [Theory]
    [MemberData(nameof(Sessions))]
    public async Task A_session_gives_what_roslyns_scripting_api_gives(string[] cells)
    {
        var ours = new List<string>();
        var globals = new Inventory();
        SubmissionState? state = null;
        foreach (var cell in cells)
        {
            try
            {
                var finished = await ScriptSubmission.RunAsync(state, cell, Options, globals, null, CancellationToken.None).WaitAsync(Wait);
                ours.Add(finished.Exception is { } thrown ? Describe(thrown) : $"value {finished.ReturnValue}");
                if (finished.Exception is null)
                    state = ScriptSubmission.NextState(state, finished);
            }
            catch (ScriptCompilationException ex)
            {
                ours.Add($"compile error {((List<Dictionary<string, object?>>)ex.Details!["diagnostics"]!)[0]["id"]}");
            }
        }

        var theirs = new List<string>();
        var apiGlobals = new Inventory();
        ScriptState<object>? apiState = null;
        foreach (var cell in cells)
        {
            try
            {
                var script = apiState is null ? CSharpScript.Create<object>(cell, Options, typeof(Inventory)) : apiState.Script.ContinueWith<object>(cell, Options);
                var finished = apiState is null
                    ? await script.RunAsync(apiGlobals, _ => true).WaitAsync(Wait)
                    : await script.RunFromAsync(apiState, _ => true).WaitAsync(Wait);
                theirs.Add(finished.Exception is { } thrown ? Describe(thrown) : $"value {finished.ReturnValue}");
                if (finished.Exception is null)
                    apiState = finished;
            }
            catch (CompilationErrorException ex)
            {
                theirs.Add($"compile error {ex.Diagnostics[0].Id}");
            }
        }

        Assert.Equal(theirs, ours);
    }

    [Fact]
    public async Task Cells_that_declare_nothing_are_compiled_from_one_template_after_the_last_that_did()
    {
        const string OwnAssembly = "new System.Func<int>(() => 1).Method.DeclaringType!.Assembly.GetName().Name";
        var (first, globals) = await FirstAsync("var n = 1;");
        var one = await RunAsync(first, OwnAssembly, globals);
        var two = await RunAsync(first, OwnAssembly, globals);
        var declaring = await RunAsync(first, "var m = n + 1;", globals);
        var three = await RunAsync(declaring, OwnAssembly, globals);

        Assert.False(one.Declares);
        Assert.Null(one.Script); // not through the scripting API, which binds every reference anew per submission
        Assert.Equal(one.ReturnValue, two.ReturnValue); // derived from the same compilation: its name, its bound references
        Assert.True(declaring.Declares);
        Assert.NotEqual(one.ReturnValue, three.ReturnValue); // a new template after the state the cell continues from
        Assert.Equal(2, (await RunAsync(declaring, "m", globals)).ReturnValue);
    }

    [Fact]
    public async Task A_thrown_exception_is_the_scripts_own_with_the_scripts_frames()
    {
        var (first, globals) = await FirstAsync("void Fail() => throw new System.InvalidOperationException(\"boom\");");
        var finished = await RunAsync(first, "Fail();", globals);
        var thrown = Assert.IsType<InvalidOperationException>(finished.Exception);
        Assert.Equal("boom", thrown.Message);
        Assert.Contains("Fail()", thrown.StackTrace);
        Assert.DoesNotContain("ZeroBridge.Scripting", thrown.StackTrace);
    }

    [Fact]
    public async Task Cancelling_stops_a_running_cell_at_its_next_check_and_the_session_goes_on()
    {
        var (first, globals) = await FirstAsync("var n = 1;");
        using var cancel = new CancellationTokenSource();
        var compiled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Task.Run(() => ScriptSubmission.RunAsync(first, "while (n > 0) { }", Options, globals, compiled, cancel.Token));
        await compiled.Task.WaitAsync(Wait);
        await cancel.CancelAsync();
        var finished = await run.WaitAsync(Wait);
        Assert.IsAssignableFrom<OperationCanceledException>(finished.Exception);
        Assert.Equal(2, (await RunAsync(first, "n + 1", globals)).ReturnValue);
    }

    [Fact]
    public async Task An_assembly_added_with_r_is_loaded_once_for_every_later_cell()
    {
        var directory = Directory.CreateTempSubdirectory("zb-r-");
        try
        {
            var library = Path.Combine(directory.FullName, "ZeroBridgeTestLibrary.dll");
            var compilation = CSharpCompilation.Create("ZeroBridgeTestLibrary",
                [CSharpSyntaxTree.ParseText("public static class Answer { public static int Value = 42; }")],
                [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)],
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
            Assert.True(compilation.Emit(library).Success);

            var (first, globals) = await FirstAsync($"#r \"{library}\"\nAnswer.Value = 43;");
            var derived = await RunAsync(first, "Answer.Value", globals);
            var declaring = await RunAsync(first, "var type = typeof(Answer);", globals);
            var later = await RunAsync(declaring, "type == typeof(Answer) ? Answer.Value : -1", globals);

            Assert.Null(first.Exception);
            Assert.Null(derived.Exception);
            Assert.Equal(43, derived.ReturnValue); // the same copy the first cell set
            Assert.Equal(43, later.ReturnValue);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string Describe(Exception thrown) => $"threw {thrown.GetType().FullName}: {thrown.Message}";

    private static async Task<(SubmissionState State, Inventory Globals)> FirstAsync(string code)
    {
        var globals = new Inventory();
        return (await ScriptSubmission.RunAsync(null, code, Options, globals, null, CancellationToken.None).WaitAsync(Wait), globals);
    }

    private static Task<SubmissionState> RunAsync(
        SubmissionState previous, string code, Inventory globals) =>
        ScriptSubmission.RunAsync(previous, code, Options, globals, null, CancellationToken.None).WaitAsync(Wait);

    private static ScriptOptions Options { get; } =
        CachingMetadataResolver.DefaultOptions.AddReferences(typeof(Inventory).Assembly);
}
