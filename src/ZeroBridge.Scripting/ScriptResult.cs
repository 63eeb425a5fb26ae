namespace ZeroBridge.Scripting;

/// <summary>What a script run returns to the caller.</summary>
/// <param name="Value">The value of the script's last expression, or null.</param>
/// <param name="Output">Everything the script wrote to the console during this run.</param>
/// <param name="ElapsedMilliseconds">Compile and run time on the server.</param>
public sealed record ScriptResult(object? Value, string Output, double ElapsedMilliseconds);
