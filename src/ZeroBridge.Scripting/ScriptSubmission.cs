using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;

namespace ZeroBridge.Scripting;

/// <summary>
/// Compiles and runs one piece of code after the ones before it (a REPL submission), guarded so that cancellation
/// stops it (<see cref="CancellationInjector"/>). Shared by <see cref="ScriptHost{TGlobals}"/> and the notebook kernel.
/// </summary>
internal static class ScriptSubmission
{
    /// <summary>
    /// Runs <paramref name="code"/> after <paramref name="previous"/> (or first, when null) and returns the new state;
    /// a run that threw returns a state whose <see cref="ScriptState.Exception"/> is set.
    /// </summary>
    /// <typeparam name="TGlobals">The globals' type as scripts see it.</typeparam>
    /// <param name="previous">The state the code continues from, or null for the first submission.</param>
    /// <param name="code">The code as its author wrote it.</param>
    /// <param name="options">References and imports.</param>
    /// <param name="globals">The object whose public members the code sees.</param>
    /// <param name="compiled">Completed when compiling is done and running starts.</param>
    /// <param name="cancellationToken">Stops compiling, and running code at its next injected check.</param>
    /// <exception cref="ScriptCompilationException">The code does not compile (positions as its author wrote it).</exception>
    public static async Task<ScriptState<object>> RunAsync<TGlobals>(ScriptState<object>? previous, string code, ScriptOptions options,
        TGlobals globals, TaskCompletionSource? compiled, CancellationToken cancellationToken) where TGlobals : class
    {
        ScriptGuard.Enter(cancellationToken);
        var script = Continue(previous, CancellationInjector.Inject(code), options, typeof(TGlobals));
        if (script.Compile(cancellationToken).Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            // Report the positions of the code as its author wrote it, not as guarded.
            throw new ScriptCompilationException(Continue(previous, code, options, typeof(TGlobals)).Compile(cancellationToken));
        }
        compiled?.TrySetResult();
        return previous is null
            ? await script.RunAsync(globals, _ => true, cancellationToken).ConfigureAwait(false)
            : await script.RunFromAsync(previous, _ => true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The state the next submission continues from, once <paramref name="finished"/> ran after
    /// <paramref name="previous"/>: <paramref name="previous"/> again when the submission declared nothing a later one
    /// could use (no variable, function or type, no using, no directive), else <paramref name="finished"/>.
    /// </summary>
    /// <remarks>
    /// Every submission is compiled against the whole chain before it, so each one kept makes every later one a little
    /// slower and keeps its compilation in memory. Most notebook cells only evaluate or print something; leaving them
    /// out keeps the chain as long as the declarations (measured, 600 <c>1 + 1</c> cells: 13 % less compile CPU per
    /// cell and 15 MB of heap instead of 58; bench/README.md, issue 13). What they changed stays changed: variables
    /// are fields of the submission that declared them, and objects are shared.
    /// </remarks>
    public static ScriptState<object> NextState(ScriptState<object>? previous, ScriptState<object> finished)
    {
        if (previous is null)
            return finished; // the first submission holds the globals
        var compilation = finished.Script.GetCompilation();
        bool declares = compilation.ScriptClass is not { } submission
                        || submission.GetMembers().Any(member => !member.IsImplicitlyDeclared)
                        || compilation.SyntaxTrees.Any(tree => tree.GetRoot() is not CompilationUnitSyntax { Usings.Count: 0, Externs.Count: 0, AttributeLists.Count: 0, ContainsDirectives: false });
        return declares ? finished : previous;
    }

    private static Script<object> Continue(ScriptState<object>? previous, string code, ScriptOptions options, Type globalsType) =>
        previous is null
            ? CSharpScript.Create<object>(code, options, globalsType)
            : previous.Script.ContinueWith<object>(code, WithoutInheritedReferences(options, previous.Script));

    /// <summary>
    /// The options for a submission after <paramref name="previous"/>, without the references it inherits anyway.
    /// </summary>
    /// <remarks>
    /// A submission sees every reference of the submissions before it. Passing the same references again makes Roslyn
    /// resolve and bind them anew for each submission, and keep a copy of that binding per submission (measured, with
    /// the notebook kernel's references, ~160 assemblies with their dependencies: a fifth of a warm <c>1 + 1</c>
    /// compile's CPU and more than half of what each submission allocates; bench/README.md, issue 13).
    /// </remarks>
    private static ScriptOptions WithoutInheritedReferences(ScriptOptions options, Script previous)
    {
        var first = previous;
        while (first.Previous is not null)
            first = first.Previous;
        var inherited = first.Options.MetadataReferences;
        if (inherited.IsEmpty)
            return options;
        var own = options.MetadataReferences.RemoveAll(reference => inherited.Contains(reference));
        return own.Length == options.MetadataReferences.Length ? options : options.WithReferences(own);
    }
}
