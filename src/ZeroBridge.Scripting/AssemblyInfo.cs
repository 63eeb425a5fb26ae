using System.Runtime.CompilerServices;

// The notebook kernel runs cells with the same guarded submissions and console capture as csharp.run.
[assembly: InternalsVisibleTo("ZeroBridge.Kernel")]

// Submissions' rules (what a continuation passes to Roslyn) are tested without a server.
[assembly: InternalsVisibleTo("ZeroBridge.UnitTests")]

// bench/RoslynCell measures Roslyn alone with the script options the kernel uses.
[assembly: InternalsVisibleTo("RoslynCell")]
