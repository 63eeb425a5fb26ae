using System.Collections.Concurrent;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace ZeroBridge.Commands;

/// <summary>
/// Reads method and parameter descriptions from the XML documentation file the compiler writes beside an
/// assembly (<c>GenerateDocumentationFile</c>), so a C# doc comment becomes the command's help in Python.
/// </summary>
internal static partial class XmlDocumentation
{
    private static readonly ConcurrentDictionary<Assembly, Dictionary<string, XElement>> Files = new();

    /// <summary>The summary of a method and its parameter descriptions, or nulls when there is no documentation.</summary>
    public static (string? Summary, IReadOnlyDictionary<string, string> Parameters) For(MethodInfo method)
    {
        var members = Files.GetOrAdd(method.Module.Assembly, Load);
        var type = method.DeclaringType;
        if (members.Count == 0 || type is null)
            return (null, new Dictionary<string, string>());

        // Member ids are "M:Namespace.Type.Method(Param.Types)"; matching on the name and the parameter count
        // avoids re-implementing the compiler's full id grammar for generic and nested types.
        string prefix = $"M:{type.FullName?.Replace('+', '.')}.{method.Name}";
        int parameterCount = method.GetParameters().Length;
        var member = members
            .Where(m => m.Key == prefix || m.Key.StartsWith(prefix + "(", StringComparison.Ordinal))
            .Select(m => m.Value)
            .FirstOrDefault(m => m.Elements("param").Count() == parameterCount || parameterCount == 0)
            ?? members.Where(m => m.Key.StartsWith(prefix + "(", StringComparison.Ordinal)).Select(m => m.Value).FirstOrDefault();
        if (member is null)
            return (null, new Dictionary<string, string>());

        var parameters = member.Elements("param")
            .Where(p => p.Attribute("name") is not null)
            .ToDictionary(p => p.Attribute("name")!.Value, p => Text(p));
        return (member.Element("summary") is { } summary ? Text(summary) : null, parameters);
    }

    private static Dictionary<string, XElement> Load(Assembly assembly)
    {
        try
        {
            string path = Path.ChangeExtension(assembly.Location, ".xml");
            if (string.IsNullOrEmpty(assembly.Location) || !File.Exists(path))
                return new Dictionary<string, XElement>();
            return XDocument.Load(path).Descendants("member")
                .Where(m => m.Attribute("name") is not null)
                .GroupBy(m => m.Attribute("name")!.Value)
                .ToDictionary(g => g.Key, g => g.First());
        }
        catch (Exception ex) when (ex is IOException or System.Xml.XmlException or UnauthorizedAccessException)
        {
            return new Dictionary<string, XElement>(); // Documentation is a nicety; never fail registration for it.
        }
    }

    /// <summary>The element's text with <c>&lt;see cref&gt;</c> references shortened and white space folded.</summary>
    private static string Text(XElement element)
    {
        var parts = element.Nodes().Select(node => node switch
        {
            XText text => text.Value,
            XElement { Name.LocalName: "see" or "seealso" } see =>
                see.Attribute("cref")?.Value.Split('.', ':').Last() ?? see.Attribute("langword")?.Value ?? see.Value,
            XElement { Name.LocalName: "paramref" or "typeparamref" } reference => reference.Attribute("name")?.Value ?? "",
            XElement other => other.Value,
            _ => "",
        });
        return Whitespace().Replace(string.Concat(parts), " ").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
