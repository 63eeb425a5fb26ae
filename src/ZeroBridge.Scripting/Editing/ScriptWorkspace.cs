using System.Reflection;
using System.Text;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Completion;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.FindSymbols;
using Microsoft.CodeAnalysis.Host.Mef;
using Microsoft.CodeAnalysis.Text;

namespace ZeroBridge.Scripting.Editing;

/// <summary>
/// Roslyn's editor services over a script session: one script document holding the code that ran before (the
/// earlier cells or submissions), then the code being edited, so completion sees the globals' members and the
/// variables and functions defined before. Inspection shows the symbol's signature and its XML docs (from the .xml
/// beside each assembly, or the reference pack of the installed .NET SDK). Used by the notebook kernel and by
/// <c>csharp.complete</c> / <c>csharp.inspect</c>; safe to call from several threads (each call works on its own
/// immutable snapshot of the document).
/// </summary>
internal sealed class ScriptWorkspace : IDisposable
{
    private readonly AdhocWorkspace _workspace;
    private readonly DocumentId _documentId;

    public ScriptWorkspace(Type globalsType, IEnumerable<string> imports, IEnumerable<Assembly> references)
    {
        _workspace = new AdhocWorkspace(MefHostServices.DefaultHost);
        var projectId = ProjectId.CreateNewId();
        var project = ProjectInfo.Create(projectId, VersionStamp.Create(), "cells", "cells", LanguageNames.CSharp,
            isSubmission: true,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, usings: imports),
            parseOptions: CSharpParseOptions.Default.WithKind(SourceCodeKind.Script),
            metadataReferences: MetadataReferences(globalsType, references),
            hostObjectType: globalsType);
        var solution = _workspace.CurrentSolution.AddProject(project);
        _documentId = DocumentId.CreateNewId(projectId);
        solution = solution.AddDocument(_documentId, "cells.csx", SourceText.From(""));
        _workspace.TryApplyChanges(solution);
    }

    /// <summary>Completions at <paramref name="position"/> (UTF-16) of <paramref name="code"/>, filtered by the word typed so far.</summary>
    /// <param name="earlier">The code that ran before, each submission ended by <c>;</c> and a line break (see <see cref="Append"/>).</param>
    /// <param name="code">The code being edited.</param>
    /// <param name="position">The cursor, a UTF-16 offset into <paramref name="code"/>.</param>
    /// <param name="cancellationToken">Stops the search.</param>
    public async Task<ScriptCompletions> CompleteAsync(string earlier, string code, int position, CancellationToken cancellationToken)
    {
        var (document, offset) = With(earlier, code);
        var service = CompletionService.GetService(document);
        if (service is null)
            return new ScriptCompletions([], position, position);
        var completions = await service.GetCompletionsAsync(document, offset + position, cancellationToken: cancellationToken).ConfigureAwait(false);
        var text = await document.GetTextAsync(cancellationToken).ConfigureAwait(false);
        var span = completions.Span;
        string typed = text.ToString(TextSpan.FromBounds(span.Start, Math.Min(span.End, offset + position)));
        var matches = completions.ItemsList
            .Select(item => item.DisplayText)
            .Where(name => name.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(name => name.StartsWith(typed, StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(name => name, StringComparer.OrdinalIgnoreCase)
            .ToList();
        return new ScriptCompletions(matches, Math.Max(0, span.Start - offset), Math.Max(0, span.End - offset));
    }

    /// <summary>The signature and documentation of the symbol at (or just before) <paramref name="position"/>, or null.</summary>
    /// <param name="earlier">The code that ran before (see <see cref="CompleteAsync"/>).</param>
    /// <param name="code">The code being edited.</param>
    /// <param name="position">The cursor, a UTF-16 offset into <paramref name="code"/>.</param>
    /// <param name="cancellationToken">Stops the search.</param>
    public async Task<string?> InspectAsync(string earlier, string code, int position, CancellationToken cancellationToken)
    {
        var (document, offset) = With(earlier, code);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (model is null)
            return null;
        ISymbol? symbol = null;
        foreach (int at in new[] { position, position - 1 }.Where(p => p >= 0 && p <= code.Length))
        {
            symbol = await SymbolFinder.FindSymbolAtPositionAsync(model, offset + at, _workspace, cancellationToken).ConfigureAwait(false);
            if (symbol is not null)
                break;
        }
        if (symbol is null)
            return null;
        var text = new StringBuilder(symbol.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat));
        if (Summary(symbol.OriginalDefinition.GetDocumentationCommentXml(cancellationToken: cancellationToken)) is { Length: > 0 } summary)
            text.Append("\n\n").Append(summary);
        return text.ToString();
    }

    public void Dispose() => _workspace.Dispose();

    /// <summary>Adds a submission that ran to <paramref name="earlier"/>, the text the other methods take.</summary>
    public static StringBuilder Append(StringBuilder earlier, string submission) => earlier.Append(submission).Append(";\n");

    private (Document Document, int Offset) With(string earlier, string code)
    {
        var document = _workspace.CurrentSolution.GetDocument(_documentId)!.WithText(SourceText.From(earlier + code));
        return (document, earlier.Length);
    }

    private static string Summary(string? xml)
    {
        if (string.IsNullOrWhiteSpace(xml))
            return "";
        try
        {
            var root = XElement.Parse(xml);
            var parts = new List<string>();
            if (root.Element("summary") is { } summary)
                parts.Add(Flatten(summary));
            parts.AddRange(root.Elements("param").Select(p => $"{p.Attribute("name")?.Value}: {Flatten(p)}"));
            if (root.Element("returns") is { } returns)
                parts.Add("Returns: " + Flatten(returns));
            return string.Join("\n", parts.Where(p => p.Length > 0));
        }
        catch (System.Xml.XmlException)
        {
            return "";
        }
    }

    private static string Flatten(XElement element) => string.Join(" ", element.Nodes().Select(node => node switch
    {
        XText text => text.Value,
        XElement { Name.LocalName: "see" or "seealso" or "paramref" or "typeparamref" } reference =>
            (reference.Attribute("cref") ?? reference.Attribute("name") ?? reference.Attribute("langword"))?.Value.Split(':').Last() ?? "",
        XElement other => other.Value,
        _ => "",
    }).SelectMany(s => s.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)));

    private static IEnumerable<MetadataReference> MetadataReferences(Type globalsType, IEnumerable<Assembly> references)
    {
        var paths = ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(new[] { globalsType.Assembly, typeof(ScriptWorkspace).Assembly }.Concat(references)
                .Where(a => !a.IsDynamic && a.Location.Length > 0).Select(a => a.Location))
            .Distinct(StringComparer.Ordinal);
        var referencePack = ReferencePackDirectory();
        foreach (var path in paths)
        {
            if (!File.Exists(path))
                continue;
            yield return MetadataReference.CreateFromFile(path, documentation: Documentation(path, referencePack));
        }
    }

    private static DocumentationProvider? Documentation(string assemblyPath, string? referencePack)
    {
        string beside = Path.ChangeExtension(assemblyPath, ".xml");
        if (File.Exists(beside))
            return XmlDocumentationProvider.CreateFromFile(beside);
        if (referencePack is not null && Path.Combine(referencePack, Path.GetFileNameWithoutExtension(assemblyPath) + ".xml") is var packed
            && File.Exists(packed))
            return XmlDocumentationProvider.CreateFromFile(packed);
        return null;
    }

    /// <summary>packs/Microsoft.NETCore.App.Ref/&lt;version&gt;/ref/net&lt;major&gt;.&lt;minor&gt; of the running .NET, where the framework's XML docs are.</summary>
    private static string? ReferencePackDirectory()
    {
        // The runtime lives in <dotnet>/shared/Microsoft.NETCore.App/<version>/.
        var runtime = new DirectoryInfo(Path.GetDirectoryName(typeof(object).Assembly.Location)!);
        var dotnet = runtime.Parent?.Parent?.Parent;
        var packs = dotnet is null ? null : new DirectoryInfo(Path.Combine(dotnet.FullName, "packs", "Microsoft.NETCore.App.Ref"));
        if (packs is null || !packs.Exists)
            return null;
        string framework = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
        return packs.EnumerateDirectories()
            .Select(d => Path.Combine(d.FullName, "ref", framework))
            .Where(Directory.Exists)
            .OrderByDescending(d => d, StringComparer.Ordinal)
            .FirstOrDefault();
    }
}
