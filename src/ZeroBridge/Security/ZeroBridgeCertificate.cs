using System.Globalization;
using System.Text;
using NetMQ;

namespace ZeroBridge.Security;

/// <summary>
/// A CURVE key pair (or a public key alone) with its metadata, read from and written to the certificate files of
/// pyzmq and czmq: <c>NAME.key</c> (public) and <c>NAME.key_secret</c> (public and secret), Z85 keys in ZPL text.
/// </summary>
/// <remarks>
/// The files are exactly those of <c>zmq.auth.create_certificates</c>, so keys made by <c>zbridge keygen</c> work with
/// pyzmq's <c>zmq.auth.load_certificate</c> and the other way round. The metadata <c>name</c> is the identity name a
/// command sees for its caller. See docs/security.md.
/// </remarks>
public sealed class ZeroBridgeCertificate
{
    /// <summary>The extension of a public certificate file.</summary>
    public const string PublicExtension = ".key";

    /// <summary>The extension of a secret certificate file.</summary>
    public const string SecretExtension = ".key_secret";

    private const int Z85KeyLength = 40; // 32 bytes

    private ZeroBridgeCertificate(string publicKey, string? secretKey, IReadOnlyDictionary<string, string> metadata)
    {
        PublicKey = publicKey;
        SecretKey = secretKey;
        Metadata = metadata;
    }

    /// <summary>The public key, Z85-encoded (40 characters).</summary>
    public string PublicKey { get; }

    /// <summary>The secret key, Z85-encoded, or null for a public certificate.</summary>
    public string? SecretKey { get; }

    /// <summary>Whether this certificate holds the secret key (it can then identify a server or a client).</summary>
    public bool HasSecretKey => SecretKey is not null;

    /// <summary>The <c>metadata</c> section, in file order.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The <c>name</c> from the metadata, or null.</summary>
    public string? Name => Metadata.TryGetValue("name", out var name) ? name : null;

    /// <summary>Makes a new key pair from the system's random number generator.</summary>
    /// <param name="metadata">Entries of the <c>metadata</c> section, e.g. <c>name</c>.</param>
    public static ZeroBridgeCertificate Generate(IReadOnlyDictionary<string, string>? metadata = null)
    {
        var pair = new NetMQCertificate();
        return new ZeroBridgeCertificate(pair.PublicKeyZ85, pair.SecretKeyZ85, CheckedMetadata(metadata));
    }

    /// <summary>A certificate from its Z85 keys.</summary>
    /// <exception cref="FormatException">A key is not 40 Z85 characters, or the secret key does not belong to the public key.</exception>
    public static ZeroBridgeCertificate FromKeys(string publicKey, string? secretKey = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        CheckKey(publicKey, "public-key");
        if (secretKey is not null)
        {
            CheckKey(secretKey, "secret-key");
            if (NetMQCertificate.CreateFromSecretKey(secretKey).PublicKeyZ85 != publicKey)
                throw new FormatException("The secret key does not belong to the public key.");
        }
        return new ZeroBridgeCertificate(publicKey, secretKey, CheckedMetadata(metadata));
    }

    /// <summary>Reads a certificate file (<c>NAME.key</c> or <c>NAME.key_secret</c>).</summary>
    /// <exception cref="FormatException">The file is not a CURVE certificate; the message names the file.</exception>
    public static ZeroBridgeCertificate Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>Reads the text of a certificate file (ZPL: sections <c>metadata</c> and <c>curve</c>).</summary>
    /// <exception cref="FormatException">The text has no valid <c>public-key</c>, or malformed lines.</exception>
    public static ZeroBridgeCertificate Parse(string text)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var curve = new Dictionary<string, string>(StringComparer.Ordinal);
        string? section = null;
        int number = 0;
        foreach (string raw in text.Split('\n'))
        {
            number++;
            string line = raw.TrimEnd('\r', ' ', '\t');
            string content = line.TrimStart(' ', '\t');
            if (content.Length == 0 || content[0] == '#')
                continue;
            int equals = content.IndexOf('=');
            if (line.Length == content.Length) // no indentation: a top-level section
            {
                if (equals >= 0)
                    throw new FormatException($"line {number}: a top-level line names a section, not a value.");
                section = content;
                continue;
            }
            if (equals < 0)
                throw new FormatException($"line {number}: a nested section; certificates have only metadata and curve.");
            string name = content[..equals].Trim();
            string value = content[(equals + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
                value = value[1..^1];
            if (section == "metadata")
                metadata[name] = value;
            else if (section == "curve")
                curve[name] = value;
        }
        if (!curve.TryGetValue("public-key", out var publicKey))
            throw new FormatException("no public-key in a curve section: not a CURVE certificate.");
        return FromKeys(publicKey, curve.GetValueOrDefault("secret-key"), metadata);
    }

    /// <summary>This certificate without its secret key, as it goes to peers and allow-lists.</summary>
    public ZeroBridgeCertificate PublicOnly() => new(PublicKey, null, Metadata);

    /// <summary>
    /// Writes <c>NAME.key</c> and, when the secret key is known, <c>NAME.key_secret</c> into
    /// <paramref name="directory"/> (created if missing). The secret file is created readable by its owner only
    /// (mode 0600) before the key is written to it.
    /// </summary>
    /// <returns>The paths of the public file and of the secret file (null when there is no secret key).</returns>
    /// <exception cref="IOException">A file exists and <paramref name="overwrite"/> is false.</exception>
    public (string PublicPath, string? SecretPath) Save(string directory, string name, bool overwrite = false)
    {
        if (name.Length == 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
            throw new ArgumentException($"'{name}' cannot be a file name.", nameof(name));
        Directory.CreateDirectory(directory);
        string publicPath = Path.Combine(directory, name + PublicExtension);
        string secretPath = Path.Combine(directory, name + SecretExtension);
        if (!overwrite)
        {
            foreach (string path in HasSecretKey ? new[] { publicPath, secretPath } : new[] { publicPath })
                if (File.Exists(path))
                    throw new IOException($"{path} exists; refusing to replace a key (remove it first).");
        }
        Write(publicPath, Format(includeSecret: false), ownerOnly: false);
        if (!HasSecretKey)
            return (publicPath, null);
        Write(secretPath, Format(includeSecret: true), ownerOnly: true);
        return (publicPath, secretPath);
    }

    /// <summary>The file text: the public certificate, or the secret one with both keys.</summary>
    public string Format(bool includeSecret)
    {
        if (includeSecret && !HasSecretKey)
            throw new InvalidOperationException("This certificate has no secret key.");
        var text = new StringBuilder();
        text.Append("#   ****  Generated on ")
            .Append(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))
            .Append(" by ZeroBridge  ****\n");
        if (includeSecret)
        {
            text.Append("#   ZeroMQ CURVE **Secret** Certificate\n");
            text.Append("#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n\n");
        }
        else
        {
            text.Append("#   ZeroMQ CURVE Public Certificate\n");
            text.Append("#   Exchange securely, or use a secure mechanism to verify the contents\n");
            text.Append("#   of this file after exchange. Store public certificates in your home\n");
            text.Append("#   directory, in the .curve subdirectory.\n\n");
        }
        text.Append("metadata\n");
        foreach (var (key, value) in Metadata)
            text.Append("    ").Append(key).Append(" = \"").Append(value).Append("\"\n");
        text.Append("curve\n");
        text.Append("    public-key = \"").Append(PublicKey).Append("\"\n");
        if (includeSecret)
            text.Append("    secret-key = \"").Append(SecretKey).Append("\"\n");
        return text.ToString();
    }

    /// <summary>NetMQ's form of this certificate, for a socket's CURVE options.</summary>
    internal NetMQCertificate ToNetMQ() =>
        SecretKey is null ? NetMQCertificate.FromPublicKey(PublicKey) : new NetMQCertificate(SecretKey, PublicKey);

    private static void Write(string path, string text, bool ownerOnly)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            if (File.Exists(path))
                File.Delete(path); // the create mode applies only to a file this call creates
        }
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.ASCII.GetBytes(text));
    }

    private static void CheckKey(string key, string what)
    {
        if (key.Length != Z85KeyLength)
            throw new FormatException($"{what} must be {Z85KeyLength} Z85 characters; it has {key.Length}.");
        try
        {
            // NetMQ decodes without checking the alphabet: a key is valid when it encodes back to itself.
            if (NetMQCertificate.FromPublicKey(key).PublicKeyZ85 != key)
                throw new FormatException($"{what} is not valid Z85.");
        }
        catch (Exception ex) when (ex is not FormatException)
        {
            throw new FormatException($"{what} is not valid Z85.", ex);
        }
    }

    private static IReadOnlyDictionary<string, string> CheckedMetadata(IReadOnlyDictionary<string, string>? metadata)
    {
        var copy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            if (key.Length == 0 || key.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
                throw new FormatException($"metadata name '{key}' must be letters, digits, '-', '_' or '.'.");
            if (value.Any(c => c is '"' or '\n' or '\r'))
                throw new FormatException($"metadata '{key}' may not contain quotes or line breaks.");
            copy[key] = value;
        }
        return copy;
    }
}
