namespace ZeroBridge.Scripting.Editing;

/// <summary>Completions that replace <c>code[Start..End]</c> (UTF-16 offsets) of the code they were asked for.</summary>
/// <param name="Matches">The names that fit what was typed, best first.</param>
/// <param name="Start">Where the text they replace starts.</param>
/// <param name="End">Where it ends.</param>
public sealed record ScriptCompletions(IReadOnlyList<string> Matches, int Start, int End);
