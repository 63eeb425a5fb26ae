namespace ZeroBridge.Security;

/// <summary>
/// A client as authenticated by the in-band proof (docs/security.md): its CURVE public key, the <c>name</c> from its
/// certificate's metadata, and what it may do.
/// </summary>
/// <param name="Key">The client's public key, Z85.</param>
/// <param name="Name">The <c>name</c> from the certificate metadata, or null.</param>
/// <param name="Permissions">What the key may do.</param>
public sealed record CallerIdentity(string Key, string? Name, CallerPermissions Permissions)
{
    /// <summary>The identity an allow-list certificate describes: its key, its name and the permissions in its metadata.</summary>
    public static CallerIdentity FromCertificate(ZeroBridgeCertificate certificate) =>
        new(certificate.PublicKey, certificate.Name, CallerPermissions.FromMetadata(certificate.Metadata));

    /// <summary>The name when there is one, else the key: how logs and errors name the caller.</summary>
    public string Display => Name is null ? Key : Key.Length == 0 ? Name : $"{Name} ({Key})";
}
