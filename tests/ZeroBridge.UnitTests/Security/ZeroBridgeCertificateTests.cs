using ZeroBridge.Security;

namespace ZeroBridge.UnitTests.Security;

/// <summary>Certificate files in pyzmq's layout: written, read back, and refused when malformed.</summary>
public sealed class ZeroBridgeCertificateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("zb-certs-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_saved_pair_loads_back_with_its_keys_and_name()
    {
        var certificate = ZeroBridgeCertificate.Generate(new Dictionary<string, string> { ["name"] = "alice" });
        var (publicPath, secretPath) = certificate.Save(_directory, "alice");

        var secret = ZeroBridgeCertificate.Load(secretPath!);
        var @public = ZeroBridgeCertificate.Load(publicPath);

        Assert.Equal(certificate.PublicKey, secret.PublicKey);
        Assert.Equal(certificate.SecretKey, secret.SecretKey);
        Assert.Equal("alice", secret.Name);
        Assert.Equal(certificate.PublicKey, @public.PublicKey);
        Assert.False(@public.HasSecretKey);
        Assert.Equal(Path.Combine(_directory, "alice.key"), publicPath);
        Assert.Equal(Path.Combine(_directory, "alice.key_secret"), secretPath);
    }

    [Fact]
    public void The_secret_file_is_readable_by_its_owner_only()
    {
        if (OperatingSystem.IsWindows())
            return;
        var (_, secretPath) = ZeroBridgeCertificate.Generate().Save(_directory, "server");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretPath!));
    }

    [Fact]
    public void Saving_over_an_existing_key_is_refused_unless_asked()
    {
        ZeroBridgeCertificate.Generate().Save(_directory, "server");
        var replacement = ZeroBridgeCertificate.Generate();

        Assert.Throws<IOException>(() => replacement.Save(_directory, "server"));
        replacement.Save(_directory, "server", overwrite: true);
        Assert.Equal(replacement.PublicKey, ZeroBridgeCertificate.Load(Path.Combine(_directory, "server.key_secret")).PublicKey);
    }

    [Fact]
    public void A_certificate_in_pyzmq_text_is_read()
    {
        // As zmq.auth.create_certificates writes it (keys from the CurveZMQ RFC 26 test vectors).
        const string text = """
            #   ****  Generated on 2026-11-30 04:00:00.000000 by pyzmq  ****
            #   ZeroMQ CURVE **Secret** Certificate
            #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

            metadata
                name = 'server'
            curve
                public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
                secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
            """;

        var certificate = ZeroBridgeCertificate.Parse(text);

        Assert.Equal("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", certificate.PublicKey);
        Assert.Equal("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6", certificate.SecretKey);
        Assert.Equal("server", certificate.Name);
    }

    [Theory]
    [InlineData("curve\n    secret-key = \"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\"\n", "no public-key")]
    [InlineData("curve\n    public-key = \"short\"\n", "40 Z85 characters")]
    [InlineData("curve\n    public-key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf~\"\n", "not valid Z85")]
    [InlineData("curve\n    public-key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\"\n    secret-key = \"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs\"\n", "does not belong")]
    [InlineData("public-key = \"x\"\n", "top-level")]
    public void A_malformed_certificate_is_refused_with_the_reason(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => ZeroBridgeCertificate.Parse(text));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Loading_names_the_file_that_is_wrong()
    {
        string path = Path.Combine(_directory, "empty.key");
        File.WriteAllText(path, "# nothing\n");

        var error = Assert.Throws<FormatException>(() => ZeroBridgeCertificate.Load(path));
        Assert.StartsWith(path, error.Message);
    }
}
