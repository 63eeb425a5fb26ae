namespace ZeroBridge.Scripting;

/// <summary>Part of a running script's console output (<see cref="ScriptHost{TGlobals}.ReadOutputAsync"/>).</summary>
/// <param name="Text">The output after the offset asked for.</param>
/// <param name="Next">The offset to ask for next.</param>
/// <param name="Started">Whether the run asked about has started.</param>
/// <param name="Finished">Whether it has ended (its whole output is then known).</param>
public sealed record ScriptOutputSlice(string Text, int Next, bool Started, bool Finished);
