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
        var second = await RunAsync(first, "n + Count + new System.Text.StringBuilder(\"ab\").Length", globals);

        Assert.NotEmpty(first.Script.Options.MetadataReferences);
        Assert.Empty(second.Script.Options.MetadataReferences); // passed again, Roslyn would resolve and bind them anew
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

    private static async Task<(ScriptState<object> State, Inventory Globals)> FirstAsync(string code)
    {
        var globals = new Inventory();
        return (await ScriptSubmission.RunAsync(null, code, Options, globals, null, CancellationToken.None).WaitAsync(Wait), globals);
    }

    private static Task<ScriptState<object>> RunAsync(
        ScriptState<object> previous, string code, Inventory globals) =>
        ScriptSubmission.RunAsync(previous, code, Options, globals, null, CancellationToken.None).WaitAsync(Wait);

    private static ScriptOptions Options { get; } =
        CachingMetadataResolver.DefaultOptions.AddReferences(typeof(Inventory).Assembly);
}
