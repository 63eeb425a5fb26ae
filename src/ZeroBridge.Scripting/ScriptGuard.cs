namespace ZeroBridge.Scripting;

/// <summary>
/// The cancellation of the script running on the current logical flow. Scripts can read <see cref="Token"/> to
/// pass it to APIs that take one; the server also inserts calls to <see cref="Check"/> into every loop and method
/// body of a script, which is how a runaway <c>while (true) { }</c> is stopped.
/// </summary>
public static class ScriptGuard
{
    private static readonly AsyncLocal<CancellationToken> Current = new();

    /// <summary>Cancelled when the running script's timeout passes or its caller gives up.</summary>
    public static CancellationToken Token => Current.Value;

    /// <summary>Throws <see cref="OperationCanceledException"/> if the running script has been cancelled.</summary>
    public static void Check() => Current.Value.ThrowIfCancellationRequested();

    internal static void Enter(CancellationToken token) => Current.Value = token;
}
