using System.CommandLine;
using System.Text.RegularExpressions;

namespace ZeroBridge.Cli;

/// <summary>Reads an endpoint typed on the command line.</summary>
internal static partial class Endpoints
{
    /// <summary>
    /// The endpoint argument of the verbs that call a server (<c>call</c>, <c>status</c>); when
    /// <see cref="EnvironmentDefaults.Endpoint"/> is set it may be left out (<see cref="WithDefaultEndpoint"/>).
    /// </summary>
    public static Argument<string> Argument(string description) => new(Name)
    {
        Description = $"{description} May be left out when ${EnvironmentDefaults.Endpoint} is set.",
    };

    private const string Name = "endpoint";

    /// <summary>
    /// The command line with <see cref="EnvironmentDefaults.Endpoint"/> put in where a verb that calls a server has
    /// none: its first positional word is then not endpoint-shaped (<c>zbridge call orders.recent n=3</c>), or absent
    /// (<c>zbridge status</c>). Done before parsing, since arguments are matched by position.
    /// </summary>
    public static string[] WithDefaultEndpoint(Command root, string[] args)
    {
        if (EnvironmentDefaults.Read(EnvironmentDefaults.Endpoint) is not { } endpoint || args.Length == 0)
            return args;
        var verb = root.Subcommands.FirstOrDefault(c => c.Name == args[0]);
        if (verb is null || verb.Arguments.FirstOrDefault()?.Name != Name)
            return args;
        for (int i = 1; i < args.Length; i++)
        {
            string word = args[i];
            if (word == "--")
                break;
            if (word.StartsWith('-') && word.Length > 1)
            {
                var option = verb.Options.FirstOrDefault(o => o.Name == word || o.Aliases.Contains(word));
                if (option is { Arity.MaximumNumberOfValues: > 0 })
                    i++; // its value is not a positional word
                continue;
            }
            return LooksLikeEndpoint(word) ? args : [.. args[..i], endpoint, .. args[i..]];
        }
        return [.. args, endpoint];
    }

    /// <summary>A scheme (<c>tcp://</c>, or a wrong one that <see cref="Normalize"/> explains), or <c>host:port</c>.</summary>
    private static bool LooksLikeEndpoint(string word) => word.Contains("://", StringComparison.Ordinal) || HostAndPort().IsMatch(word);

    [GeneratedRegex(@"^[^=\s/]+:(\d+|\*)$")]
    private static partial Regex HostAndPort();

    /// <summary>The ZeroMQ transports zbridge can use.</summary>
    private static readonly string[] Transports = ["tcp://", "ipc://", "inproc://"];

    /// <summary>
    /// The endpoint as ZeroMQ wants it: <c>host:port</c> is taken as <c>tcp://host:port</c> (as NATS and Redis clients
    /// take it); another scheme, such as <c>http://</c>, is a usage error that says what an endpoint looks like.
    /// </summary>
    /// <exception cref="UsageException">The text is not an endpoint.</exception>
    public static string Normalize(string text)
    {
        text = text.Trim();
        if (Transports.Any(t => text.StartsWith(t, StringComparison.OrdinalIgnoreCase)))
            return RequirePort(text);
        int scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
            throw new UsageException($"'{text}' is not a ZeroMQ endpoint: zbridge speaks ZeroMQ, not {text[..scheme]}; use tcp://host:port");
        if (text.Length == 0)
            throw new UsageException("the endpoint is empty; use tcp://host:port");
        return RequirePort("tcp://" + text);
    }

    private static string RequirePort(string endpoint)
    {
        if (!endpoint.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase))
            return endpoint;
        string address = endpoint["tcp://".Length..];
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1 || (address[(colon + 1)..] != "*" && !ushort.TryParse(address[(colon + 1)..], out _)))
            throw new UsageException($"'{endpoint}' has no port; use tcp://host:port, e.g. tcp://127.0.0.1:5555");
        return endpoint;
    }
}
