using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;

namespace ZeroBridge.Scripting;

/// <summary>
/// Resolves each assembly reference of scripts once and hands out the same <see cref="MetadataReference"/> ever after.
/// Roslyn's default script resolver reads the assembly file again for every submission (the default imports name
/// about twenty framework assemblies), so each cell paid for reading them and for binding their symbols anew; with the
/// same reference objects, a submission reuses the symbols the one before it bound (profiled: about half the time of a
/// warm <c>1 + 1</c> cell went to resolving and binding references).
/// </summary>
internal sealed class CachingMetadataResolver : MetadataReferenceResolver
{
    private readonly MetadataReferenceResolver _inner;
    private readonly ConcurrentDictionary<(string Reference, string? BaseFilePath, MetadataReferenceProperties Properties), ImmutableArray<PortableExecutableReference>> _resolved = new();
    private readonly ConcurrentDictionary<(string Identity, MetadataReferenceProperties Properties), PortableExecutableReference?> _missing = new();

    private CachingMetadataResolver(MetadataReferenceResolver inner) => _inner = inner;

    /// <summary><see cref="ScriptOptions.Default"/> with its resolver cached: the options every submission starts from.</summary>
    public static ScriptOptions DefaultOptions { get; } =
        ScriptOptions.Default.WithMetadataResolver(new CachingMetadataResolver(ScriptOptions.Default.MetadataResolver));

    public override bool ResolveMissingAssemblies => _inner.ResolveMissingAssemblies;

    public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties) =>
        _resolved.GetOrAdd((reference, baseFilePath, properties), key => _inner.ResolveReference(key.Reference, key.BaseFilePath, key.Properties));

    public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity) =>
        _missing.GetOrAdd((referenceIdentity.GetDisplayName(), definition.Properties), _ => _inner.ResolveMissingAssembly(definition, referenceIdentity));

    public override bool Equals(object? other) => ReferenceEquals(this, other);

    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);
}
