namespace ZeroBridge.Kernel;

/// <summary>The globals of the standalone kernel (<c>zbridge kernel start</c>): none of its own; cells define what they need.</summary>
public sealed class StandaloneGlobals;
