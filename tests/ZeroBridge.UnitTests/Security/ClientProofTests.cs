using Microsoft.Extensions.Logging.Abstractions;
using ZeroBridge.Protocol;
using ZeroBridge.Security;

namespace ZeroBridge.UnitTests.Security;

/// <summary>
/// The pure parts of client authentication (docs/security.md): the proof, the per-connection challenges and
/// identities, dotted-name permissions and the allow-list directory. No sockets.
/// </summary>
public sealed class ClientProofTests : IDisposable
{
    private readonly ZeroBridgeCertificate _server = ZeroBridgeCertificate.Generate();
    private readonly ZeroBridgeCertificate _alice = ZeroBridgeCertificate.Generate(new Dictionary<string, string>
    {
        ["name"] = "alice",
        ["commands"] = "orders.*",
    });
    private readonly string _directory = Directory.CreateTempSubdirectory("zerobridge-allow-unit-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static byte[] Raw(ZeroBridgeCertificate certificate) => ClientProof.Raw(certificate.PublicKey)!;

    [Fact]
    public void A_proof_verifies_only_for_its_server_key_client_key_and_challenge()
    {
        byte[] challenge = ClientProof.NewChallenge();
        var (nonce, box) = ClientProof.Create(_server.PublicKey, _alice, challenge);

        Assert.True(ClientProof.Verify(_server, Raw(_alice), challenge, nonce, box));
        Assert.False(ClientProof.Verify(ZeroBridgeCertificate.Generate(), Raw(_alice), challenge, nonce, box));
        Assert.False(ClientProof.Verify(_server, Raw(ZeroBridgeCertificate.Generate()), challenge, nonce, box));
        Assert.False(ClientProof.Verify(_server, Raw(_alice), ClientProof.NewChallenge(), nonce, box));
        box[^1] ^= 1;
        Assert.False(ClientProof.Verify(_server, Raw(_alice), challenge, nonce, box));
        Assert.False(ClientProof.Verify(_server, Raw(_alice), challenge, nonce[..10], box)); // malformed: refused, no throw
    }

    [Fact]
    public void A_challenge_is_used_once_and_only_by_the_connection_it_was_given_to()
    {
        _alice.PublicOnly().Save(_directory, "alice");
        var authentication = new ConnectionAuthentication(_server, AllowList.FromDirectory(_directory), NullLogger.Instance, "test");
        byte[] challenge = authentication.Hello("connection-1");
        var (nonce, box) = ClientProof.Create(_server.PublicKey, _alice, challenge);

        Assert.Null(authentication.Prove("connection-2", _alice.PublicKey, challenge, nonce, box).Identity);
        var (identity, _) = authentication.Prove("connection-1", _alice.PublicKey, challenge, nonce, box);
        Assert.Equal("alice", identity?.Name);
        Assert.Null(authentication.Prove("connection-1", _alice.PublicKey, challenge, nonce, box).Identity);
        Assert.Equal(1, authentication.AuthenticatedCount);

        authentication.Disconnected("connection-1");
        Assert.Null(authentication.IdentityOf("connection-1"));
        Assert.Equal(0, authentication.AuthenticatedCount);
    }

    [Fact]
    public void A_valid_proof_of_a_key_not_on_the_allow_list_is_refused_by_name()
    {
        var authentication = new ConnectionAuthentication(_server, AllowList.FromDirectory(_directory), NullLogger.Instance, "test");
        byte[] challenge = authentication.Hello("c");
        var (nonce, box) = ClientProof.Create(_server.PublicKey, _alice, challenge);

        var (identity, refusal) = authentication.Prove("c", _alice.PublicKey, challenge, nonce, box);

        Assert.Null(identity);
        Assert.Contains(_alice.PublicKey, refusal);
    }

    [Fact]
    public void The_allow_list_directory_is_read_again_when_a_file_is_added_or_removed()
    {
        var allowList = AllowList.FromDirectory(_directory);
        Assert.Null(allowList.Find(_alice.PublicKey));

        var (path, _) = _alice.PublicOnly().Save(_directory, "alice");
        Assert.True(allowList.Find(_alice.PublicKey)!.Permissions.AllowsCommand("orders.get"));

        File.Delete(path);
        Assert.Null(allowList.Find(_alice.PublicKey));
    }

    [Theory]
    [InlineData("orders.*", "orders.get", true)]
    [InlineData("orders.*", "orders.lines.add", true)]
    [InlineData("orders.*", "ordersx", false)]
    [InlineData("orders.*", "orders", false)]
    [InlineData("orders.*", "ordersx.get", false)]
    [InlineData("*", "anything.at.all", true)]
    [InlineData("sql.query", "sql.query", true)]
    [InlineData("sql.query", "sql.query2", false)]
    [InlineData("*.get", "orders.get", true)]
    [InlineData("*.get", "orders.lines.get", false)]
    public void Patterns_match_whole_dotted_names(string pattern, string name, bool expected) =>
        Assert.Equal(expected, CallerPermissions.Of(commands: [pattern]).AllowsCommand(name));

    [Fact]
    public void Permissions_come_from_the_certificate_metadata_and_anything_unlisted_is_denied()
    {
        var permissions = CallerPermissions.FromMetadata(new Dictionary<string, string>
        {
            ["commands"] = "orders.*, sql.query", ["services"] = "erp", ["scripts"] = "true",
        });

        Assert.True(permissions.AllowsCommand("sql.query"));
        Assert.False(permissions.AllowsCommand("customers.get"));
        Assert.True(permissions.AllowsService("erp"));
        Assert.False(permissions.AllowsService("hr"));
        Assert.False(permissions.AllowsTopic("prices.x"));
        Assert.True(permissions.Scripts);
        Assert.False(CallerPermissions.FromMetadata(new Dictionary<string, string>()).Scripts);
    }

    [Fact]
    public void Malformed_proof_arguments_are_a_protocol_error_that_names_what_is_missing()
    {
        byte[] arguments = ZeroBridge.Serialization.WireSerializer.Serialize(typeof(object[]),
            new object[] { Array.Empty<object>(), new Dictionary<string, object?> { ["key"] = "x" } }, []);

        var error = Assert.Throws<ZeroBridgeProtocolException>(() => AuthMessages.ReadProve(arguments));
        Assert.Contains("challenge", error.Message);
        Assert.Throws<ZeroBridgeProtocolException>(() => AuthMessages.ReadProve(new byte[] { 0xc1 }));
        Assert.Throws<ZeroBridgeProtocolException>(() => AuthMessages.ReadProve(null));
    }

    [Fact]
    public void The_JSON_spelling_of_the_proof_arguments_reads_base64_text_and_refuses_bin_or_bad_text()
    {
        static byte[] Arguments(object challenge) => ZeroBridge.Serialization.WireSerializer.Serialize(typeof(object[]),
            new object[] { Array.Empty<object>(), new Dictionary<string, object?>
            {
                ["key"] = "k", ["challenge"] = challenge, ["nonce"] = Convert.ToBase64String([4, 5]), ["proof"] = Convert.ToBase64String([6]),
            } }, []);

        var read = AuthMessages.ReadProve(Arguments(Convert.ToBase64String([1, 2, 3])), base64: true);

        Assert.Equal([1, 2, 3], read.Challenge);
        Assert.Equal([4, 5], read.Nonce);
        Assert.Equal([6], read.Proof);
        Assert.Contains("base64", Assert.Throws<ZeroBridgeProtocolException>(() => AuthMessages.ReadProve(Arguments("%%%"), base64: true)).Message);
        Assert.Throws<ZeroBridgeProtocolException>(() => AuthMessages.ReadProve(Arguments(new byte[] { 1 }), base64: true));
        Assert.Throws<ZeroBridgeProtocolException>(() => AuthMessages.ReadProve(Arguments(Convert.ToBase64String([1]))));
    }
}
