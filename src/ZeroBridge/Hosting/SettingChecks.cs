using Microsoft.Extensions.Configuration;
using ZeroBridge.Security;
using ZeroBridge.Transport;

namespace ZeroBridge.Hosting;

/// <summary>
/// The checks a component's settings get when the host starts, each failure one line naming the configuration key
/// (<c>ZeroBridge:Server:MaxConcurrency</c>) so the fix is obvious; and the key files the settings point to.
/// </summary>
internal static class SettingChecks
{
    /// <summary>The configuration key of a secret certificate file (<c>NAME.key_secret</c>): the component's own key pair.</summary>
    public const string CertificateFile = "CertificateFile";

    /// <summary>The configuration key of a public certificate file (<c>NAME.key</c>): the server or broker to trust.</summary>
    public const string ServerKeyFile = "ServerKeyFile";

    public static IEnumerable<string> AtLeast(IConfigurationSection section, string key, long value, long minimum)
    {
        if (value < minimum)
            yield return $"{section.Path}:{key} must be at least {minimum} (it is {value}).";
    }

    public static IEnumerable<string> Positive(IConfigurationSection section, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
            yield return $"{section.Path}:{key} must be a positive time span such as 00:00:05 (it is {value}).";
    }

    /// <summary>The <see cref="ConnectionLimits"/> bound under <c>ConnectionLimits</c> in <paramref name="section"/>.</summary>
    public static IEnumerable<string> Limits(IConfigurationSection section, ConnectionLimits limits) =>
        limits.Problems().Select(problem => $"{section.Path}:{nameof(ConnectionLimits)}:{problem.Key} must be {problem.Rule} (it is {problem.Value}).");

    public static IEnumerable<string> Endpoint(IConfigurationSection section, string key, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            yield return $"{section.Path}:{key} is not set: give the ZeroMQ endpoint, e.g. tcp://127.0.0.1:5555.";
        else if (!value.Contains("://", StringComparison.Ordinal))
            yield return $"{section.Path}:{key} is \"{value}\", not a ZeroMQ endpoint such as tcp://127.0.0.1:5555.";
    }

    /// <summary>The key file named at <paramref name="key"/>, when set: it must exist and hold a key (a secret one if asked).</summary>
    public static IEnumerable<string> KeyFile(IConfigurationSection section, string key, bool secret)
    {
        if (section[key] is not { Length: > 0 } path)
            yield break;
        string? problem = null;
        try
        {
            var certificate = ZeroBridgeCertificate.Load(path);
            if (secret && !certificate.HasSecretKey)
                problem = $"{section.Path}:{key} is {path}, a public key; it needs the secret one (NAME{ZeroBridgeCertificate.SecretExtension}).";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            problem = $"{section.Path}:{key} is {path}, which cannot be read as a key file: {ex.Message}";
        }
        if (problem is not null)
            yield return problem;
    }

    /// <summary>The component's own key pair, from <see cref="CertificateFile"/>, or <paramref name="otherwise"/>.</summary>
    public static ZeroBridgeCertificate? Certificate(IConfigurationSection section, ZeroBridgeCertificate? otherwise) =>
        section[CertificateFile] is { Length: > 0 } path && KeyFile(section, CertificateFile, secret: true).Any() is false
            ? ZeroBridgeCertificate.Load(path) : otherwise;

    /// <summary>The public key to trust, from <see cref="ServerKeyFile"/>, or <paramref name="otherwise"/>.</summary>
    public static string? ServerKey(IConfigurationSection section, string? otherwise) =>
        section[ServerKeyFile] is { Length: > 0 } path && KeyFile(section, ServerKeyFile, secret: false).Any() is false
            ? ZeroBridgeCertificate.Load(path).PublicKey : otherwise;
}
