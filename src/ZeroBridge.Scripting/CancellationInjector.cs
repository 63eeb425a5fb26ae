using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ZeroBridge.Scripting;

/// <summary>
/// Rewrites a script so that every loop iteration and every method, local function and lambda body first calls
/// <see cref="ScriptGuard.Check"/>. .NET cannot abort a thread, so this is what lets a timeout stop code that never
/// looks at its cancellation token. It cannot stop code blocked inside a library call (a Thread.Sleep, a lock):
/// such a script is abandoned, and its thread runs on until the call returns.
/// </summary>
/// <remarks>The inserted call goes on the same line as the code it guards, so line numbers are unchanged.</remarks>
internal sealed class CancellationInjector : CSharpSyntaxRewriter
{
    private static readonly StatementSyntax Guard = SyntaxFactory.ParseStatement("global::ZeroBridge.Scripting.ScriptGuard.Check(); ");

    public static string Inject(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, CSharpParseOptions.Default.WithKind(SourceCodeKind.Script));
        return new CancellationInjector().Visit(tree.GetRoot()).ToFullString();
    }

    public override SyntaxNode? VisitWhileStatement(WhileStatementSyntax node) =>
        base.VisitWhileStatement(node.WithStatement(Guarded(node.Statement)));

    public override SyntaxNode? VisitDoStatement(DoStatementSyntax node) =>
        base.VisitDoStatement(node.WithStatement(Guarded(node.Statement)));

    public override SyntaxNode? VisitForStatement(ForStatementSyntax node) =>
        base.VisitForStatement(node.WithStatement(Guarded(node.Statement)));

    public override SyntaxNode? VisitForEachStatement(ForEachStatementSyntax node) =>
        base.VisitForEachStatement(node.WithStatement(Guarded(node.Statement)));

    public override SyntaxNode? VisitMethodDeclaration(MethodDeclarationSyntax node) =>
        node.Body is null ? base.VisitMethodDeclaration(node) : base.VisitMethodDeclaration(node.WithBody(Prepend(node.Body)));

    public override SyntaxNode? VisitLocalFunctionStatement(LocalFunctionStatementSyntax node) =>
        node.Body is null ? base.VisitLocalFunctionStatement(node) : base.VisitLocalFunctionStatement(node.WithBody(Prepend(node.Body)));

    public override SyntaxNode? VisitParenthesizedLambdaExpression(ParenthesizedLambdaExpressionSyntax node) =>
        node.Block is null ? base.VisitParenthesizedLambdaExpression(node) : base.VisitParenthesizedLambdaExpression(node.WithBlock(Prepend(node.Block)));

    public override SyntaxNode? VisitSimpleLambdaExpression(SimpleLambdaExpressionSyntax node) =>
        node.Block is null ? base.VisitSimpleLambdaExpression(node) : base.VisitSimpleLambdaExpression(node.WithBlock(Prepend(node.Block)));

    public override SyntaxNode? VisitGotoStatement(GotoStatementSyntax node) =>
        SyntaxFactory.Block(Guard, node).WithTriviaFrom(node); // a backwards goto is a loop too

    private static StatementSyntax Guarded(StatementSyntax body) => body is BlockSyntax block
        ? Prepend(block)
        : SyntaxFactory.Block(Guard, body).WithTriviaFrom(body);

    private static BlockSyntax Prepend(BlockSyntax block) => block.WithStatements(block.Statements.Insert(0, Guard));
}
