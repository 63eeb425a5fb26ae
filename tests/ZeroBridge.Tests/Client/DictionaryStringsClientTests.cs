using ZeroBridge.Commands;
using ZeroBridge.Serialization;
using ZeroBridge.Tests.Fixtures;

namespace ZeroBridge.Tests.Client;

/// <summary>The C# client announces that it reads dictionary-encoded string columns, and reads them.</summary>
public class DictionaryStringsClientTests
{
    public sealed record Named(string? Name);

    [Fact]
    public async Task The_csharp_client_accepts_and_reads_dictionary_encoded_strings_from_a_server()
    {
        string?[] pool = ["alpha", null, "βeta", ""];
        var rows = Enumerable.Range(0, 4000).Select(i => new Named(pool[i % pool.Length])).ToList();
        await using var running = new RunningServer(new CommandRegistry().Add("names", () => rows));
        var table = await running.Client.CallAsync<TableData>("names", timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(rows.Select(r => r.Name).ToArray(), table!["Name"].GetValues<string?>().ToArray());
    }
}
