using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ZeroBridge.Security;

/// <summary>
/// The client keys a server, broker or worker accepts, and what each may do (docs/security.md, "Authorization"):
/// a directory of public certificate files (<c>*.key</c>, as czmq's zauth and pyzmq's
/// <c>configure_curve(location=...)</c> use), re-read whenever a file in it is added, removed or changed, or a
/// callback of the application. Thread-safe.
/// </summary>
public sealed class AllowList
{
    private readonly Func<Func<string, CallerIdentity?>> _current;

    private AllowList(Func<Func<string, CallerIdentity?>> current, string description)
    {
        _current = current;
        Description = description;
    }

    /// <summary>What the list is, for logs: the directory, or "callback".</summary>
    public string Description { get; }

    /// <summary>
    /// The keys of the <c>*.key</c> files in <paramref name="directory"/>, with the permissions of their metadata. The
    /// directory is checked on every lookup (names, sizes, modification times) and re-read when anything changed, so
    /// adding or removing a certificate takes effect at the next proof, without a restart. A file that cannot be read
    /// is skipped and logged.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static AllowList FromDirectory(string directory, ILogger? logger = null)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"The allow-list directory {directory} does not exist.");
        var reader = new DirectoryReader(Path.GetFullPath(directory), logger ?? NullLogger.Instance);
        return new AllowList(reader.Current, reader.Directory);
    }

    /// <summary>
    /// Keys decided by <paramref name="find"/>: given a client's public key (Z85) it returns the caller's identity and
    /// permissions, or null to refuse the key. Called on a socket thread: keep it fast.
    /// </summary>
    public static AllowList FromCallback(Func<string, CallerIdentity?> find) => new(() => find, "callback");

    /// <summary>The identity of <paramref name="publicKey"/> (Z85), or null when the key is not allowed.</summary>
    public CallerIdentity? Find(string publicKey) => _current()(publicKey);

    /// <summary>
    /// The list as it is now, read once (the directory listed once), for checking many keys in one go: the proved
    /// connections' periodic re-check.
    /// </summary>
    internal Func<string, CallerIdentity?> Current() => _current();

    /// <inheritdoc/>
    public override string ToString() => Description;

    /// <summary>Reads the directory again when its listing differs from the last one read.</summary>
    private sealed class DirectoryReader(string directory, ILogger logger)
    {
        private readonly object _lock = new(); // not System.Threading.Lock: the package targets net8.0 too
        private string _stamp = "";
        private Dictionary<string, CallerIdentity> _keys = new(StringComparer.Ordinal);

        public string Directory { get; } = directory;

        public Func<string, CallerIdentity?> Current()
        {
            lock (_lock)
            {
                var files = new DirectoryInfo(Directory).Exists
                    ? new DirectoryInfo(Directory).GetFiles("*" + ZeroBridgeCertificate.PublicExtension)
                        .OrderBy(f => f.Name, StringComparer.Ordinal).ToArray()
                    : [];
                string stamp = string.Join('\n', files.Select(f => $"{f.Name}\t{f.Length}\t{f.LastWriteTimeUtc.Ticks}"));
                if (stamp != _stamp)
                {
                    _keys = Read(files);
                    _stamp = stamp;
                }
                var keys = _keys; // replaced, never changed, when the directory is read again
                return key => keys.GetValueOrDefault(key);
            }
        }

        private Dictionary<string, CallerIdentity> Read(FileInfo[] files)
        {
            var keys = new Dictionary<string, CallerIdentity>(StringComparer.Ordinal);
            foreach (var file in files)
            {
                try
                {
                    var certificate = ZeroBridgeCertificate.Load(file.FullName);
                    keys[certificate.PublicKey] = CallerIdentity.FromCertificate(certificate.PublicOnly());
                }
                catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
                {
                    SecurityLog.AllowListFileSkipped(logger, Directory, file.Name, ex.Message);
                }
            }
            SecurityLog.AllowListLoaded(logger, Directory, keys.Count);
            return keys;
        }
    }
}
