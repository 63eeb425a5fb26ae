using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ZeroBridge.Kernel.Editing;

/// <summary>Reads a cell as a C# script submission: is it complete (jupyter console asks before it runs a line), and does it end in an expression.</summary>
internal static class SubmissionParser
{
    private static readonly CSharpParseOptions Options = CSharpParseOptions.Default.WithKind(SourceCodeKind.Script);

    /// <summary>The is_complete status: <c>complete</c>, <c>incomplete</c> (more lines to come) or <c>invalid</c>.</summary>
    public static (string Status, string Indent) IsComplete(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, Options);
        if (!SyntaxFactory.IsCompleteSubmission(tree))
            return ("incomplete", new string(' ', 4 * OpenBraces(code)));
        return tree.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error) ? ("invalid", "") : ("complete", "");
    }

    /// <summary>Whether the cell ends in an expression without a semicolon, whose value the notebook shows.</summary>
    public static bool EndsInExpression(string code)
    {
        var root = CSharpSyntaxTree.ParseText(code, Options).GetCompilationUnitRoot();
        return root.Members.LastOrDefault() is GlobalStatementSyntax { Statement: ExpressionStatementSyntax statement }
               && statement.SemicolonToken.IsMissing;
    }

    private static int OpenBraces(string code) => Math.Max(0, code.Count(c => c == '{') - code.Count(c => c == '}'));
}
