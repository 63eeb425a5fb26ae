using System.Reflection;
using System.Text;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Completion;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.FindSymbols;
using Microsoft.CodeAnalysis.Host.Mef;
using Microsoft.CodeAnalysis.Text;
using ZeroBridge.Kernel.Execution;

namespace ZeroBridge.Kernel.Editing;

/// <summary>
/// Roslyn's editor services over the notebook: one script document holding every cell that ran without error, then
/// the cell being edited, so completion sees the globals' members and the variables and functions of earlier
/// cells. Inspection shows the symbol's signature and its XML docs (from the .xml beside each assembly, or the
/// reference pack of the installed .NET SDK).
/// </summary>
internal sealed class CellWorkspace : IDisposable
{
    private readonly AdhocWorkspace _workspace;
    private readonly DocumentId _documentId;
    private readonly StringBuilder _history = new();
    private readonly string _preamble;
    private readonly object _gate = new();

    public CellWorkspace(Type globalsType, IEnumerable<string> imports, IEnumerable<Assembly> references, string preamble)
    {
        _preamble = preamble.Length == 0 ? "" : preamble + "\n";
        _history.Append(_preamble);
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
        solution = solution.AddDocument(_documentId, "cells.csx", SourceText.From(_preamble));
        _workspace.TryApplyChanges(solution);
    }

    /// <summary>Adds a cell that ran without error, so later cells see what it defined.</summary>
    public void Accept(string code)
    {
        lock (_gate)
            _history.Append(code).Append(";\n");
    }

    /// <summary>Forgets every accepted cell.</summary>
    public void Reset()
    {
        lock (_gate)
            _history.Clear().Append(_preamble);
    }

    /// <summary>Completions at <paramref name="position"/> (UTF-16) of <paramref name="code"/>, filtered by the word typed so far.</summary>
    public async Task<CellCompletions> CompleteAsync(string code, int position, CancellationToken cancellationToken)
    {
        var (document, offset) = With(code);
        var service = CompletionService.GetService(document);
        if (service is null)
            return new CellCompletions([], position, position);
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
        return new CellCompletions(matches, Math.Max(0, span.Start - offset), Math.Max(0, span.End - offset));
    }

    /// <summary>The signature and documentation of the symbol at (or just before) <paramref name="position"/>, or null.</summary>
    public async Task<string?> InspectAsync(string code, int position, CancellationToken cancellationToken)
    {
        var (document, offset) = With(code);
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

    private (Document Document, int Offset) With(string code)
    {
        string prefix;
        lock (_gate)
            prefix = _history.ToString();
        var document = _workspace.CurrentSolution.GetDocument(_documentId)!.WithText(SourceText.From(prefix + code));
        return (document, prefix.Length);
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
            .Concat(new[] { globalsType.Assembly, typeof(CellWorkspace).Assembly }.Concat(references)
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
