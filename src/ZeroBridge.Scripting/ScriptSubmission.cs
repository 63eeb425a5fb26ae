using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;

namespace ZeroBridge.Scripting;

/// <summary>
/// Compiles and runs one piece of code after the ones before it (a REPL submission), guarded so that cancellation
/// stops it (<see cref="CancellationInjector"/>). Shared by <see cref="ScriptHost{TGlobals}"/> and the notebook kernel.
/// </summary>
/// <remarks>
/// Roslyn's scripting API creates each submission's compilation (its naming, options and references), but this class
/// emits, loads and runs it, keeping the submission array itself (<see cref="SubmissionState.Instances"/>). That is
/// what lets a submission that declares nothing be compiled from a template derived from the one before it, which
/// reuses the session's bound references: through the scripting API every submission binds all of them anew (measured,
/// a warm <c>1 + 1</c> cell with the kernel's references: 13.5-14 ms of compile CPU against 6-8.7; bench/README.md,
/// issue 13). A submission that declares something is still created by the scripting API, so later ones can continue
/// from it.
/// </remarks>
internal static class ScriptSubmission
{
    /// <summary>
    /// Runs <paramref name="code"/> after <paramref name="previous"/> (or first, when null) and returns the new state;
    /// a run that threw returns a state whose <see cref="SubmissionState.Exception"/> is set.
    /// </summary>
    /// <typeparam name="TGlobals">The globals' type as scripts see it.</typeparam>
    /// <param name="previous">The state the code continues from, or null for the first submission.</param>
    /// <param name="code">The code as its author wrote it.</param>
    /// <param name="options">References and imports (the same for every submission of a session).</param>
    /// <param name="globals">The object whose public members the code sees.</param>
    /// <param name="compiled">Completed when compiling is done and running starts.</param>
    /// <param name="cancellationToken">Stops compiling, and running code at its next injected check.</param>
    /// <exception cref="ScriptCompilationException">The code does not compile (positions as its author wrote it).</exception>
    public static async Task<SubmissionState> RunAsync<TGlobals>(SubmissionState? previous, string code, ScriptOptions options,
        TGlobals globals, TaskCompletionSource? compiled, CancellationToken cancellationToken) where TGlobals : class
    {
        ScriptGuard.Enter(cancellationToken);
        if (previous is { Declares: false })
            previous = previous.Previous; // what declared nothing adds nothing to continue from
        var submission = Compile(previous, CancellationInjector.Inject(code), options, typeof(TGlobals), cancellationToken);
        if (submission.Errors.Count > 0)
        {
            // Report the positions of the code as its author wrote it, not as guarded.
            throw new ScriptCompilationException(Compile(previous, code, options, typeof(TGlobals), cancellationToken).Errors);
        }
        var assemblies = previous?.Assemblies ?? new SubmissionAssemblies();
        var before = previous?.Instances ?? [globals];
        if (submission.Script is not null)
            assemblies.RegisterFiles(submission.Compilation);
        var assembly = submission.Image is { } image ? assemblies.Load(image, referable: submission.Script is not null) : null;
        compiled?.TrySetResult();

        var instances = new object?[before.Length + 1];
        Array.Copy(before, instances, before.Length);
        var (value, exception) = assembly is null
            ? (null, null) // nothing to run: only usings or directives
            : await RunAsync(submission.Compilation, assembly, instances, cancellationToken).ConfigureAwait(false);
        // A submission with code fills its slot (in its constructor, before its code runs); one without takes none.
        var after = instances[before.Length] is null ? before : instances;
        return new SubmissionState(previous, code, submission.Script, after, assemblies, value, exception);
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
    public static SubmissionState NextState(SubmissionState? previous, SubmissionState finished) =>
        previous is null || finished.Declares ? finished : previous;

    /// <summary>
    /// The options for a submission after <paramref name="previous"/>, without the references it inherits anyway.
    /// </summary>
    /// <remarks>
    /// A submission sees every reference of the submissions before it. Passing the same references again makes Roslyn
    /// resolve and bind them anew for each submission, and keep a copy of that binding per submission (measured, with
    /// the notebook kernel's references, ~160 assemblies with their dependencies: a fifth of a warm <c>1 + 1</c>
    /// compile's CPU and more than half of what each submission allocates; bench/README.md, issue 13).
    /// </remarks>
    internal static ScriptOptions WithoutInheritedReferences(ScriptOptions options, Script previous)
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

    /// <summary>A submission compiled: its errors, or its image (null when it has no code to run).</summary>
    private sealed record Compiled(Compilation Compilation, Script<object>? Script, IReadOnlyList<Diagnostic> Errors, MemoryStream? Image);

    /// <summary>
    /// Compiles <paramref name="code"/> after <paramref name="previous"/>: from the previous state's template when the
    /// code declares nothing, else as the scripting API's next script (which later submissions continue from).
    /// </summary>
    private static Compiled Compile(SubmissionState? previous, string code, ScriptOptions options, Type globalsType,
        CancellationToken cancellationToken)
    {
        if (previous is null)
            return Emit(CSharpScript.Create<object>(code, options, globalsType), cancellationToken);
        var template = previous.Template(options);
        var tree = SyntaxFactory.ParseSyntaxTree(code, template.Tree.Options, options.FilePath, cancellationToken: cancellationToken);
        if (!DeclaresInSyntax(tree))
        {
            var derived = template.Compilation.ReplaceSyntaxTree(template.Tree, tree);
            if (!DeclaresMembers(derived))
                return Emit(derived, null, cancellationToken);
        }
        return Emit(previous.Script!.ContinueWith<object>(code, WithoutInheritedReferences(options, previous.Script!)), cancellationToken);
    }

    private static Compiled Emit(Script<object> script, CancellationToken cancellationToken) =>
        Emit(script.GetCompilation(), script, cancellationToken);

    private static Compiled Emit(Compilation compilation, Script<object>? script, CancellationToken cancellationToken)
    {
        var image = new MemoryStream();
        var result = compilation.Emit(image, cancellationToken: cancellationToken);
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (!result.Success || errors.Count > 0)
        {
            image.Dispose();
            return new Compiled(compilation, script, errors, null); // no errors: nothing to emit (only usings or directives)
        }
        image.Position = 0;
        return new Compiled(compilation, script, errors, image);
    }

    /// <summary>Usings, extern aliases, attributes or directives (<c>#r</c>, <c>#load</c>): what a later submission sees.</summary>
    private static bool DeclaresInSyntax(SyntaxTree tree) =>
        tree.GetRoot() is not CompilationUnitSyntax { Usings.Count: 0, Externs.Count: 0, AttributeLists.Count: 0, ContainsDirectives: false };

    /// <summary>A variable, function or type: a member of the script class that the code declared (Roslyn's own symbols decide).</summary>
    private static bool DeclaresMembers(Compilation compilation) =>
        compilation.ScriptClass is not { } submission || submission.GetMembers().Any(member => !member.IsImplicitlyDeclared);

    /// <summary>
    /// Runs a loaded submission as the scripting API does: its <c>&lt;Factory&gt;</c> (the compilation's entry point)
    /// creates the submission, which stores itself in its slot of <paramref name="instances"/>, and runs its code.
    /// </summary>
    private static async Task<(object? Value, Exception? Exception)> RunAsync(Compilation compilation, Assembly assembly,
        object?[] instances, CancellationToken cancellationToken)
    {
        var entryPoint = compilation.GetEntryPoint(cancellationToken)
                         ?? throw new InvalidOperationException("A script compilation has no entry point.");
        var factory = assembly.GetType(entryPoint.ContainingType.MetadataName, throwOnError: true)!
            .GetMethod(entryPoint.MetadataName, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!
            .CreateDelegate<Func<object?[], Task<object>>>();
        if (cancellationToken.IsCancellationRequested)
            return (null, new OperationCanceledException(cancellationToken));
        Task<object> run;
        try
        {
            run = factory(instances);
        }
        catch (Exception exception)
        {
            return (null, exception);
        }
        await ((Task)run).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (run.IsCompletedSuccessfully)
            return (run.Result, null);
        if (run.Exception is { InnerExceptions: [var single] })
            return (null, single); // as thrown: its stack trace shows the script's frames only
        try
        {
            return (run.GetAwaiter().GetResult(), null);
        }
        catch (Exception exception)
        {
            return (null, exception); // cancelled: the script's own OperationCanceledException
        }
    }
}
