namespace ZeroBridge.Security;

/// <summary>
/// What one client key may do, from the metadata of its certificate in the allow-list (docs/security.md,
/// "Authorization"): <c>commands</c>, <c>services</c> and <c>topics</c> are comma-separated dotted-name patterns
/// (<c>orders.*</c>), <c>scripts</c> is <c>"true"</c> or not. Anything not listed is denied.
/// </summary>
public sealed class CallerPermissions
{
    private readonly IReadOnlyList<DottedGlob> _commands;
    private readonly IReadOnlyList<DottedGlob> _services;
    private readonly IReadOnlyList<DottedGlob> _topics;

    private CallerPermissions(string? commands, string? services, string? topics, bool scripts)
    {
        _commands = DottedGlob.ParseList(commands);
        _services = DottedGlob.ParseList(services);
        _topics = DottedGlob.ParseList(topics);
        Scripts = scripts;
    }

    /// <summary>Every command, service and topic, and scripts: for a callback that trusts a key fully.</summary>
    public static CallerPermissions All { get; } = new("*", "*", "*", scripts: true);

    /// <summary>Nothing beyond the built-in commands.</summary>
    public static CallerPermissions None { get; } = new(null, null, null, scripts: false);

    /// <summary>The permissions written in certificate metadata (<c>commands</c>, <c>services</c>, <c>topics</c>, <c>scripts</c>).</summary>
    public static CallerPermissions FromMetadata(IReadOnlyDictionary<string, string> metadata) => new(
        metadata.GetValueOrDefault("commands"), metadata.GetValueOrDefault("services"), metadata.GetValueOrDefault("topics"),
        string.Equals(metadata.GetValueOrDefault("scripts")?.Trim(), "true", StringComparison.OrdinalIgnoreCase));

    /// <summary>The permissions given as lists of patterns.</summary>
    public static CallerPermissions Of(IEnumerable<string>? commands = null, IEnumerable<string>? services = null,
        IEnumerable<string>? topics = null, bool scripts = false) => new(
        Join(commands), Join(services), Join(topics), scripts);

    /// <summary>Whether the key may run C# scripts.</summary>
    public bool Scripts { get; }

    /// <summary>Whether the key may call the command <paramref name="name"/>.</summary>
    public bool AllowsCommand(string name) => DottedGlob.Any(_commands, name);

    /// <summary>Whether the key may use (call, or serve as a worker) the broker service <paramref name="name"/>.</summary>
    public bool AllowsService(string name) => DottedGlob.Any(_services, name);

    /// <summary>Whether the key may read the stream topic <paramref name="name"/>.</summary>
    public bool AllowsTopic(string name) => DottedGlob.Any(_topics, name);

    /// <inheritdoc/>
    public override string ToString() =>
        $"commands = \"{string.Join(", ", _commands)}\", services = \"{string.Join(", ", _services)}\", " +
        $"topics = \"{string.Join(", ", _topics)}\", scripts = {(Scripts ? "true" : "false")}";

    private static string? Join(IEnumerable<string>? patterns) => patterns is null ? null : string.Join(",", patterns);
}
