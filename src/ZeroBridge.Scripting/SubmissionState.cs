using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace ZeroBridge.Scripting;

/// <summary>
/// A session after one submission ran (<see cref="ScriptSubmission"/>): its value or exception, and what a later
/// submission continues from.
/// </summary>
internal sealed class SubmissionState
{
    private readonly object _templateGate = new();
    private (CSharpCompilation Compilation, SyntaxTree Tree)? _template;

    internal SubmissionState(SubmissionState? previous, string code, Script<object>? script, object?[] instances,
        SubmissionAssemblies assemblies, object? returnValue, Exception? exception)
    {
        Previous = previous;
        Code = code;
        Script = script;
        Instances = instances;
        Assemblies = assemblies;
        ReturnValue = returnValue;
        Exception = exception;
    }

    /// <summary>The value of the submission's last expression, or null.</summary>
    public object? ReturnValue { get; }

    /// <summary>What the submission threw, or null.</summary>
    public Exception? Exception { get; }

    /// <summary>The submission as its author wrote it.</summary>
    public string Code { get; }

    /// <summary>The state this submission continued from (one that declared something), or null for the first.</summary>
    public SubmissionState? Previous { get; }

    /// <summary>
    /// Whether the submission declared something a later one could use (a variable, function or type, a using, a
    /// directive). The first submission always counts as declaring: it holds the globals.
    /// </summary>
    public bool Declares => Script is not null;

    /// <summary>
    /// The scripting API's script of a declaring submission, from which later submissions are created; null for one
    /// compiled from a template (which declared nothing).
    /// </summary>
    internal Script<object>? Script { get; }

    /// <summary>
    /// The submission array as Roslyn's generated code expects it: the globals at 0, then the instance of each
    /// submission of the chain that had code, in its slot (what the scripting API keeps in its execution state).
    /// </summary>
    internal object?[] Instances { get; }

    /// <summary>Where the session's assemblies are loaded from.</summary>
    internal SubmissionAssemblies Assemblies { get; }

    /// <summary>
    /// A compilation of an empty submission after this one, from which a submission that declares nothing is derived by
    /// replacing its syntax tree. Derived compilations share its bound references (Roslyn reuses a compilation's
    /// reference manager when only a tree without <c>#r</c> changes); a submission created through the scripting
    /// API binds every reference of the session anew.
    /// </summary>
    /// <param name="options">The session's options (the same for each of its submissions).</param>
    internal (CSharpCompilation Compilation, SyntaxTree Tree) Template(ScriptOptions options)
    {
        lock (_templateGate)
        {
            if (_template is null)
            {
                var compilation = (CSharpCompilation)Script!.ContinueWith<object>("", ScriptSubmission.WithoutInheritedReferences(options, Script)).GetCompilation();
                _template = (compilation, compilation.SyntaxTrees.Single());
            }
            return _template.Value;
        }
    }
}
