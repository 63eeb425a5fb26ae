using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ZeroBridge.Kernel.Editing;

/// <summary>
/// Reads a cell as a C# script submission: is it complete (jupyter console asks before it runs a line), does it end
/// in an expression, or is it a help request (<c>Math.Max?</c>) rather than code.
/// </summary>
internal static partial class SubmissionParser
{
    private static readonly CSharpParseOptions Options = CSharpParseOptions.Default.WithKind(SourceCodeKind.Script);

    /// <summary>The is_complete status: <c>complete</c>, <c>incomplete</c> (more lines to come) or <c>invalid</c>.</summary>
    public static (string Status, string Indent) IsComplete(string code)
    {
        if (HelpTarget(code) is not null)
            return ("complete", "");
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

    /// <summary>
    /// The name a help request asks about, IPython's way: a cell that is only a (dotted) name with <c>?</c> before or
    /// after it, such as <c>Math.Max?</c> or <c>?orders.Recent</c>. Null for anything else: no C# statement is a
    /// name followed by a question mark, so code never reads as a help request.
    /// </summary>
    public static string? HelpTarget(string code)
    {
        var match = HelpRequest().Match(code);
        if (!match.Success || (match.Groups["before"].Length == 0 && match.Groups["after"].Length == 0))
            return null;
        return WhiteSpace().Replace(match.Groups["name"].Value, "");
    }

    [GeneratedRegex(@"^\s*(?<before>\?{0,2})\s*(?<name>@?[\p{L}_][\p{L}\p{Nd}_]*(\s*\.\s*@?[\p{L}_][\p{L}\p{Nd}_]*)*)\s*(?<after>\?{0,2})\s*$")]
    private static partial Regex HelpRequest();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    private static int OpenBraces(string code) => Math.Max(0, code.Count(c => c == '{') - code.Count(c => c == '}'));
}
