using System.CommandLine;
using ZeroBridge.Security;

namespace ZeroBridge.Cli;

/// <summary>The CURVE options the verbs share (docs/security.md): a listener's key pair, a peer's pinned server key.</summary>
internal static class SecurityOptions
{
    /// <summary><c>--cert FILE</c>: this side's key pair, a <c>NAME.key_secret</c> file.</summary>
    public static Option<string?> Certificate(string role) => new("--cert")
    {
        Description = $"CURVE: {role} key pair, a NAME.key_secret file from `zbridge keygen` (or pyzmq's create_certificates).",
    };

    /// <summary><c>--cert FILE</c> of a client, defaulting to <see cref="EnvironmentDefaults.Certificate"/>.</summary>
    public static Option<string?> ClientCertificate() => new("--cert")
    {
        Description = $"CURVE: this client's key pair, a NAME.key_secret file from `zbridge keygen`. Default: ${EnvironmentDefaults.Certificate}.",
        DefaultValueFactory = _ => EnvironmentDefaults.Read(EnvironmentDefaults.Certificate),
    };

    /// <summary><c>--server-key FILE</c>: the public key of the server (or broker) to talk to.</summary>
    public static Option<string?> ServerKey() => new("--server-key")
    {
        Description = "CURVE: the public key of the server or broker, its NAME.key file (or the 40-character Z85 key itself). " +
                      $"Default: ${EnvironmentDefaults.ServerKey}.",
        DefaultValueFactory = _ => EnvironmentDefaults.Read(EnvironmentDefaults.ServerKey),
    };

    /// <summary><c>--insecure</c>: listen in plain text beyond loopback.</summary>
    public static Option<bool> Insecure() => new("--insecure")
    {
        Description = "Serve in plain text on an endpoint other machines can reach (only on a network where every host is trusted).",
    };

    /// <summary><c>--allow-list DIR</c>: the client keys a listener serves, and their permissions.</summary>
    public static Option<string?> AllowList() => new("--allow-list")
    {
        Description = "Serve only clients whose public key (a NAME.key file) is in DIR, with the permissions in its metadata " +
                      "(commands, services, topics, scripts; docs/security.md). Re-read when it changes. Needs --cert.",
    };

    /// <summary>The allow-list in <paramref name="directory"/>, or null when none was given.</summary>
    /// <exception cref="UsageException">The directory does not exist, or there is no key pair to prove clients to.</exception>
    public static ZeroBridge.Security.AllowList? LoadAllowList(string? directory, ZeroBridgeCertificate? keyPair)
    {
        if (directory is null)
            return null;
        if (keyPair is null)
            throw new UsageException("--allow-list needs --cert too: clients prove their key to the listener's key pair");
        return LoadCallerPermissions(directory);
    }

    /// <summary>
    /// The allow-list in <paramref name="directory"/> that gives a worker its callers' permissions (a worker proves
    /// nothing to them, so no key pair is needed), or null when none was given.
    /// </summary>
    /// <exception cref="UsageException">The directory does not exist.</exception>
    public static ZeroBridge.Security.AllowList? LoadCallerPermissions(string? directory)
    {
        if (directory is null)
            return null;
        try
        {
            return ZeroBridge.Security.AllowList.FromDirectory(directory);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    /// <summary>The key pair in <paramref name="path"/>, or null when no path was given.</summary>
    /// <exception cref="UsageException">The file cannot be read or is not a secret certificate.</exception>
    public static ZeroBridgeCertificate? LoadKeyPair(string? path)
    {
        if (path is null)
            return null;
        var certificate = Read(() => ZeroBridgeCertificate.Load(path));
        if (!certificate.HasSecretKey)
            throw new UsageException($"{path} holds only a public key; --cert needs the NAME.key_secret file");
        return certificate;
    }

    /// <summary>The Z85 public key in <paramref name="fileOrKey"/> (a certificate file, or the key itself), or null.</summary>
    /// <exception cref="UsageException">Neither a readable certificate nor a valid key.</exception>
    public static string? LoadServerKey(string? fileOrKey)
    {
        if (fileOrKey is null)
            return null;
        return File.Exists(fileOrKey)
            ? Read(() => ZeroBridgeCertificate.Load(fileOrKey)).PublicKey
            : Read(() => ZeroBridgeCertificate.FromKeys(fileOrKey)).PublicKey;
    }

    private static ZeroBridgeCertificate Read(Func<ZeroBridgeCertificate> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException(ex.Message);
        }
    }
}
