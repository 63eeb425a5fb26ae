using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;

namespace ZeroBridge.Scripting;

/// <summary>
/// Loads what a session's submissions compile to, as Roslyn's scripting API does: each assembly from memory, a
/// reference to an earlier submission resolved to the assembly loaded for it, and an assembly added with <c>#r</c>
/// from the file it was resolved to, once per session. Whatever the default context can load (the framework, the
/// application's own assemblies) comes from there, so scripts and the application share their types.
/// </summary>
/// <remarks>
/// Every submission gets a load context of its own: the cells compiled from one template (<see cref="ScriptSubmission"/>)
/// all have the template's assembly name, and one context cannot hold two assemblies of the same name. Like the
/// scripting API's, these contexts are never unloaded.
/// </remarks>
internal sealed class SubmissionAssemblies
{
    private readonly ConcurrentDictionary<string, Assembly> _submissions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _files = new(StringComparer.OrdinalIgnoreCase); // simple name -> #r'd file
    private readonly ConcurrentDictionary<string, Lazy<Assembly>> _loadedFiles = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lazy<FileContext> _fileContext;

    public SubmissionAssemblies() => _fileContext = new Lazy<FileContext>(() => new FileContext(this));

    /// <summary>Loads a submission's assembly; a <paramref name="referable"/> one is what later submissions may refer to.</summary>
    public Assembly Load(Stream image, bool referable)
    {
        var assembly = new SubmissionContext(this).LoadFromStream(image);
        if (referable)
            _submissions[assembly.GetName().Name!] = assembly;
        return assembly;
    }

    /// <summary>Remembers where the files <paramref name="compilation"/> references are, for its code to load them when it runs.</summary>
    public void RegisterFiles(Compilation compilation)
    {
        foreach (var reference in compilation.References.OfType<PortableExecutableReference>())
        {
            if (reference.FilePath is { } path && compilation.GetAssemblyOrModuleSymbol(reference) is IAssemblySymbol assembly)
                _files.TryAdd(assembly.Identity.Name, path);
        }
    }

    private Assembly? FromFile(AssemblyName name) =>
        name.Name is { } simple && _files.TryGetValue(simple, out var path)
            ? _loadedFiles.GetOrAdd(path, file => new Lazy<Assembly>(() => _fileContext.Value.LoadFromAssemblyPath(file))).Value
            : null;

    /// <summary>Holds one submission's assembly; resolves the earlier submissions it refers to.</summary>
    private sealed class SubmissionContext : AssemblyLoadContext
    {
        private readonly SubmissionAssemblies _owner;

        public SubmissionContext(SubmissionAssemblies owner)
        {
            _owner = owner;
            Resolving += (_, name) => owner.FromFile(name); // only what the default context cannot load
        }

        protected override Assembly? Load(AssemblyName name) =>
            name.Name is { } simple && _owner._submissions.TryGetValue(simple, out var submission) ? submission : null;
    }

    /// <summary>Holds the session's <c>#r</c> files, so that every submission sees the same copy of each.</summary>
    private sealed class FileContext : AssemblyLoadContext
    {
        public FileContext(SubmissionAssemblies owner) => Resolving += (_, name) => owner.FromFile(name);

        protected override Assembly? Load(AssemblyName name) => null;
    }
}
