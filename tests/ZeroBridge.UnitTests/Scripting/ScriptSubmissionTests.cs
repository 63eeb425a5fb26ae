using ZeroBridge.Scripting;
using ZeroBridge.TestRecords;

namespace ZeroBridge.UnitTests.Scripting;

public class ScriptSubmissionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromMinutes(4); // far above a cold Roslyn compile on a loaded machine

    [Fact]
    public async Task A_continuation_passes_none_of_the_references_it_inherits_and_still_sees_them()
    {
        var options = CachingMetadataResolver.DefaultOptions.AddReferences(typeof(Inventory).Assembly);
        var globals = new Inventory();
        var first = await ScriptSubmission.RunAsync(null, "var n = 1;", options, globals, null, CancellationToken.None).WaitAsync(Wait);
        var second = await ScriptSubmission.RunAsync(first, "n + Count + new System.Text.StringBuilder(\"ab\").Length", options, globals, null,
            CancellationToken.None).WaitAsync(Wait);

        Assert.NotEmpty(first.Script.Options.MetadataReferences);
        Assert.Empty(second.Script.Options.MetadataReferences); // passed again, Roslyn would resolve and bind them anew
        Assert.Equal(1 + globals.Count + 2, second.ReturnValue);
    }
}
