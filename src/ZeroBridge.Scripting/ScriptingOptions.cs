using System.Reflection;

namespace ZeroBridge.Scripting;

/// <summary>Settings of C# script execution. Immutable; change with <c>with</c>.</summary>
public sealed record ScriptingOptions
{
    /// <summary>The options with every default (scripts disabled).</summary>
    public static ScriptingOptions Default { get; } = new();

    /// <summary>
    /// Whether clients may run code at all (default: false). When false the script commands exist but refuse with
    /// <c>permission_denied</c>, saying how to enable them. When true the server serves only on loopback.
    /// </summary>
    public bool Enabled { get; init; }

    /// <summary>The longest a script may run (default: 30 s); a caller may ask for less, never more.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How much longer than its timeout a script that ignores cancellation is waited for before it is abandoned (default: 2 s).</summary>
    public TimeSpan HardStopGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The largest serialized result (default: 64 MiB); larger results are refused with <c>too_large</c>.</summary>
    public long MaxResultBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How many scripts run at once across all sessions (default: 2).</summary>
    public int MaxConcurrentScripts { get; init; } = 2;

    /// <summary>A session unused this long is forgotten (default: 30 min).</summary>
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Namespaces imported into every script (default: System, System.Linq, System.Collections.Generic, System.Threading.Tasks).</summary>
    public IReadOnlyList<string> Imports { get; init; } = ["System", "System.Linq", "System.Collections.Generic", "System.Threading.Tasks"];

    /// <summary>Assemblies scripts may use besides the globals' own and the base library.</summary>
    public IReadOnlyList<Assembly> References { get; init; } = [];

    /// <summary>Whether to compile a small script in the background at start, so the first client does not pay for Roslyn's warm-up (default: true).</summary>
    public bool WarmUp { get; init; } = true;
}
