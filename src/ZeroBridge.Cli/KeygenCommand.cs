using System.CommandLine;
using ZeroBridge.Security;

namespace ZeroBridge.Cli;

/// <summary>
/// <c>zbridge keygen NAME [--dir DIR]</c>: write a CURVE certificate pair, <c>NAME.key</c> and <c>NAME.key_secret</c>,
/// in the layout of pyzmq's <c>zmq.auth.create_certificates</c> (docs/security.md).
/// </summary>
internal static class KeygenCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The certificate's name: the file names and the identity name commands see." };
        var directory = new Option<string>("--dir") { Description = "The directory to write to.", DefaultValueFactory = _ => "." };
        var overwrite = new Option<bool>("--force") { Description = "Replace existing files of that name." };
        var command = new Command("keygen", "Write a CURVE key pair: NAME.key (public, give it to peers) and NAME.key_secret (keep it; mode 0600).")
        {
            name, directory, overwrite,
        };
        command.SetAction(parse =>
        {
            string certificateName = parse.GetValue(name)!;
            try
            {
                var certificate = ZeroBridgeCertificate.Generate(new Dictionary<string, string> { ["name"] = certificateName });
                var (publicPath, secretPath) = certificate.Save(parse.GetValue(directory)!, certificateName, parse.GetValue(overwrite));
                Console.WriteLine($"public key:  {certificate.PublicKey}");
                Console.WriteLine($"public file: {publicPath}   (give to peers; servers put client keys in their allow-list directory)");
                Console.WriteLine($"secret file: {secretPath}   (owner-only; never share)");
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }
}
