using Microsoft.CodeAnalysis;
using ZeroBridge.Commands;

namespace ZeroBridge.Scripting;

/// <summary>Error codes of script execution, beside those of docs/protocol.md §3.</summary>
public static class ScriptErrorCodes
{
    /// <summary>The script does not compile; the details list the diagnostics with line and column.</summary>
    public const string CompileError = "compile_error";
    /// <summary>The script threw; the error carries the script's exception type and stack trace.</summary>
    public const string ScriptError = "script_error";
}

/// <summary>A script did not compile (code <c>compile_error</c>).</summary>
public sealed class ScriptCompilationException : CommandException
{
    internal ScriptCompilationException(IEnumerable<Diagnostic> diagnostics)
        : this(diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(Describe).ToList())
    {
    }

    private ScriptCompilationException(List<Dictionary<string, object?>> errors)
        : base(ScriptErrorCodes.CompileError, Summary(errors), new Dictionary<string, object?> { ["diagnostics"] = errors })
    {
    }

    private static string Summary(List<Dictionary<string, object?>> errors) =>
        string.Join(Environment.NewLine, errors.Select(e => $"({e["line"]},{e["column"]}): error {e["id"]}: {e["message"]}"));

    private static Dictionary<string, object?> Describe(Diagnostic diagnostic)
    {
        var position = diagnostic.Location.GetLineSpan().StartLinePosition;
        return new Dictionary<string, object?>
        {
            ["line"] = position.Line + 1,
            ["column"] = position.Character + 1,
            ["id"] = diagnostic.Id,
            ["severity"] = diagnostic.Severity.ToString().ToLowerInvariant(),
            ["message"] = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}

/// <summary>A script threw (code <c>script_error</c>); the caller sees the script's own exception type and stack.</summary>
public sealed class ScriptRuntimeException : CommandException
{
    private readonly Exception _thrown;

    internal ScriptRuntimeException(Exception thrown, string output)
        : base(ScriptErrorCodes.ScriptError, thrown.Message, new Dictionary<string, object?> { ["output"] = output })
    {
        _thrown = thrown;
    }

    /// <inheritdoc/>
    public override string RemoteType => _thrown.GetType().FullName ?? _thrown.GetType().Name;

    /// <inheritdoc/>
    public override string? RemoteStackTrace => _thrown.StackTrace;
}
