using System.CommandLine;
using ZeroBridge.Security;

namespace ZeroBridge.Cli;

/// <summary>
/// <c>zbridge keygen NAME [--dir DIR] [--commands P] [--services P] [--topics P] [--scripts]</c>: write a CURVE
/// certificate pair, <c>NAME.key</c> and <c>NAME.key_secret</c>, in the layout of pyzmq's
/// <c>zmq.auth.create_certificates</c>, with the permissions an allow-list reads from its metadata (docs/security.md).
/// </summary>
internal static class KeygenCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The certificate's name: the file names and the identity name commands see." };
        var directory = new Option<string>("--dir") { Description = "The directory to write to.", DefaultValueFactory = _ => "." };
        var overwrite = new Option<bool>("--force") { Description = "Replace existing files of that name." };
        var commands = new Option<string?>("--commands") { Description = "Permission: the commands the key may call, e.g. \"orders.*, sql.query\"." };
        var services = new Option<string?>("--services") { Description = "Permission: the broker services the key may call or serve, e.g. \"erp\"." };
        var topics = new Option<string?>("--topics") { Description = "Permission: the stream topics the key may read, e.g. \"prices.*\"." };
        var scripts = new Option<bool>("--scripts") { Description = "Permission: the key may run C# scripts." };
        var command = new Command("keygen", "Write a CURVE key pair: NAME.key (public, give it to peers) and NAME.key_secret (keep it; mode 0600).")
        {
            name, directory, overwrite, commands, services, topics, scripts,
        };
        command.SetAction(parse =>
        {
            string certificateName = parse.GetValue(name)!;
            try
            {
                var metadata = new Dictionary<string, string> { ["name"] = certificateName };
                foreach (var (key, option) in new[] { ("commands", commands), ("services", services), ("topics", topics) })
                    if (parse.GetValue(option) is { } patterns)
                        metadata[key] = patterns;
                if (parse.GetValue(scripts))
                    metadata["scripts"] = "true";
                var certificate = ZeroBridgeCertificate.Generate(metadata);
                var (publicPath, secretPath) = certificate.Save(parse.GetValue(directory)!, certificateName, parse.GetValue(overwrite));
                Console.WriteLine($"public key:  {certificate.PublicKey}");
                Console.WriteLine($"public file: {publicPath}   (give to peers; servers put client keys in their allow-list directory)");
                Console.WriteLine($"secret file: {secretPath}   (owner-only; never share)");
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or FormatException)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }
}
