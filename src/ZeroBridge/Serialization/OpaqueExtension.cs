namespace ZeroBridge.Serialization;

/// <summary>
/// A msgpack ext value whose type code ZeroBridge does not know (docs/protocol.md §4.1). It is kept as it came,
/// so a command taking <see cref="object"/> receives it and returning it sends back the same bytes: a newer peer's
/// ext types pass through an older one unharmed.
/// </summary>
/// <param name="TypeCode">The ext type code.</param>
/// <param name="Data">The ext payload, uninterpreted.</param>
public sealed record OpaqueExtension(sbyte TypeCode, byte[] Data);
