using System.CommandLine;
using ZeroBridge.Client;

namespace ZeroBridge.Cli;

/// <summary>Options of the verbs that call a server or a broker's service (call, status).</summary>
internal static class CallerOptions
{
    /// <summary><c>--service NAME</c> of a caller, defaulting to <see cref="EnvironmentDefaults.Service"/>, then <c>zerobridge</c>.</summary>
    public static Option<string> Service() => new("--service")
    {
        Description = "The service to call through a Majordomo broker (e.g. erp); not needed for a server called directly. " +
                      $"Default: ${EnvironmentDefaults.Service}, else {ZeroBridgeClientOptions.Default.Service}.",
        DefaultValueFactory = _ => EnvironmentDefaults.Read(EnvironmentDefaults.Service) ?? ZeroBridgeClientOptions.Default.Service,
    };
}
