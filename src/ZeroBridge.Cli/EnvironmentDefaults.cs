namespace ZeroBridge.Cli;

/// <summary>
/// The environment variables that give defaults to the options of the verbs that call a server, so a shell set up
/// once (<c>export ZEROBRIDGE_ENDPOINT=tcp://erp:5555</c>) can leave them out. The same names work in Python.
/// </summary>
internal static class EnvironmentDefaults
{
    /// <summary>The server or broker to call when the command line names none.</summary>
    public const string Endpoint = "ZEROBRIDGE_ENDPOINT";

    /// <summary>The default of <c>--service</c> (a service behind a broker).</summary>
    public const string Service = "ZEROBRIDGE_SERVICE";

    /// <summary>The default of <c>--server-key</c>: the server's or broker's public key file.</summary>
    public const string ServerKey = "ZEROBRIDGE_SERVER_KEY";

    /// <summary>The default of <c>--cert</c> for a client: its own key pair file.</summary>
    public const string Certificate = "ZEROBRIDGE_CERT";

    /// <summary>The variable's value, or null when it is unset or empty.</summary>
    public static string? Read(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
