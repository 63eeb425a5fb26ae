using System.Reflection;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Client;
using ZeroBridge.Commands;
using ZeroBridge.Protocol;
using ZeroBridge.Security;
using ZeroBridge.Serialization;
using ZeroBridge.Server;

namespace ZeroBridge.Tests.Security;

/// <summary>
/// The in-band client proof and the permissions of an allow-list (docs/security.md), on a real CURVE server: the C#
/// client, and raw sockets for the attacks a client library would never make.
/// </summary>
public sealed class ClientAuthenticationTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Wait = RawBridgeSocket.Wait;
    private readonly ZeroBridgeCertificate _serverKeys = ZeroBridgeCertificate.Generate();
    private readonly string _allowed = Directory.CreateTempSubdirectory("zerobridge-allow-").FullName;
    private readonly ZeroBridgeCertificate _alice = Certificate("alice", commands: "orders.*, whoami, run.code");
    private readonly ZeroBridgeCertificate _admin = Certificate("admin", commands: "*", scripts: true);
    private int _ran; // how many application commands ran
    private ZeroBridgeServer _server = null!;
    private CommandRegistry _commands = null!;
    private ZeroBridgeServerOptions _options = null!;

    public async Task InitializeAsync()
    {
        _alice.PublicOnly().Save(_allowed, "alice");
        _admin.PublicOnly().Save(_allowed, "admin");
        _commands = new CommandRegistry()
            .Add("orders.get", (int id) => { Interlocked.Increment(ref _ran); return id; })
            .Add("ordersx.get", (int id) => { Interlocked.Increment(ref _ran); return id; })
            .Add("sql.query", (string sql) => { Interlocked.Increment(ref _ran); return sql; })
            .Add("whoami", (CommandContext context) => new Dictionary<string, object?>
            {
                ["key"] = context.Caller?.Key,
                ["name"] = context.Caller?.Name,
            })
            .AddMethod("run.code", typeof(ClientAuthenticationTests).GetMethod(nameof(RunCode), BindingFlags.Public | BindingFlags.Static)!, null);
        _options = ZeroBridgeServerOptions.Default with
        {
            Endpoint = "tcp://127.0.0.1:*",
            Certificate = _serverKeys,
            AllowList = AllowList.FromDirectory(_allowed),
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        };
        _server = new ZeroBridgeServer(_commands, _options);
        await _server.StartAsync();
    }

    /// <summary>Stands for a command that runs caller code (like csharp.run).</summary>
    [RequiresTrustedEndpoint]
    public static string RunCode(string code) => "ran " + code;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => Directory.Delete(_allowed, recursive: true);

    private static ZeroBridgeCertificate Certificate(string name, string commands, bool scripts = false) =>
        ZeroBridgeCertificate.Generate(new Dictionary<string, string>
        {
            ["name"] = name,
            ["commands"] = commands,
            ["scripts"] = scripts ? "true" : "false",
        });

    private ZeroBridgeClient Client(ZeroBridgeCertificate? certificate) => new(_server.Endpoint, ZeroBridgeClientOptions.Default with
    {
        ServerKey = _serverKeys.PublicKey,
        Certificate = certificate,
        Timeout = Wait,
    });

    [Fact]
    public async Task An_allowed_key_is_proved_by_itself_and_commands_see_its_key_and_name()
    {
        using var client = Client(_alice);

        Assert.Equal(7, await client.CallAsync<int>("orders.get", new { id = 7 }));
        var caller = await client.CallAsync<Dictionary<string, object?>>("whoami");
        Assert.Equal(_alice.PublicKey, caller!["key"]);
        Assert.Equal("alice", caller["name"]);
    }

    [Fact]
    public async Task A_client_proves_again_to_a_server_restarted_on_the_same_endpoint_which_trusts_no_earlier_proof()
    {
        using var client = Client(_alice);
        Assert.Equal(1, await client.CallAsync<int>("orders.get", new { id = 1 }));
        Assert.Equal(1, _server.AuthenticatedConnections);

        string endpoint = _server.Endpoint;
        await _server.DisposeAsync(); // the process's state, proofs included, is gone
        _server = new ZeroBridgeServer(_commands, _options with { Endpoint = endpoint });
        await _server.StartAsync();
        Assert.Equal(0, _server.AuthenticatedConnections);

        Assert.Equal(2, await client.CallAsync<int>("orders.get", new { id = 2 }));
        Assert.Equal(1, _server.AuthenticatedConnections); // the client's new connection proved itself to the new server
        var caller = await client.CallAsync<Dictionary<string, object?>>("whoami");
        Assert.Equal(_alice.PublicKey, caller!["key"]);
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_answered_unauthenticated_and_nothing_runs()
    {
        using var client = Client(null);

        var error = await Assert.ThrowsAsync<RemoteUnauthenticatedException>(() => client.CallAsync<int>("orders.get", new { id = 1 }));
        Assert.Contains("allow-list", error.Message);
        Assert.Equal(0, Volatile.Read(ref _ran));
    }

    [Fact]
    public async Task An_unknown_key_is_refused_and_nothing_runs()
    {
        using var client = Client(Certificate("mallory", commands: "*"));

        var error = await Assert.ThrowsAsync<RemoteUnauthenticatedException>(() => client.CallAsync<int>("orders.get", new { id = 1 }));
        Assert.Contains("not on this server's allow-list", error.Message);
        Assert.Equal(0, Volatile.Read(ref _ran));
    }

    [Fact]
    public async Task A_permitted_key_calling_outside_its_permissions_is_denied_by_name()
    {
        using var client = Client(_alice);

        var denied = await Assert.ThrowsAsync<RemotePermissionDeniedException>(() => client.CallAsync<string>("sql.query", new { sql = "x" }));
        Assert.Contains("'sql.query'", denied.Message);
        Assert.Contains("alice", denied.Message);
        // Whole dotted names: orders.* is not ordersx.*.
        await Assert.ThrowsAsync<RemotePermissionDeniedException>(() => client.CallAsync<int>("ordersx.get", new { id = 1 }));
        Assert.Equal(0, Volatile.Read(ref _ran));
        Assert.Equal("pong", await client.CallAsync<string>("ping")); // built-ins need no permission
    }

    [Fact]
    public async Task Code_running_commands_need_the_scripts_permission_too()
    {
        using var alice = Client(_alice);
        using var admin = Client(_admin);

        var denied = await Assert.ThrowsAsync<RemotePermissionDeniedException>(() => alice.CallAsync<string>("run.code", new { code = "1" }));
        Assert.Contains("scripts", denied.Message);
        Assert.Equal("ran 1", await admin.CallAsync<string>("run.code", new { code = "1" }));
    }

    [Fact]
    public async Task A_key_added_to_the_allow_list_directory_is_served_without_a_restart()
    {
        var bob = Certificate("bob", commands: "orders.get");
        using var client = Client(bob);
        await Assert.ThrowsAsync<RemoteUnauthenticatedException>(() => client.CallAsync<int>("orders.get", new { id = 1 }));

        bob.PublicOnly().Save(_allowed, "bob");

        Assert.Equal(2, await client.CallAsync<int>("orders.get", new { id = 2 }));
        File.Delete(Path.Combine(_allowed, "alice.key"));
        using var alice = Client(_alice);
        await Assert.ThrowsAsync<RemoteUnauthenticatedException>(() => alice.CallAsync<int>("orders.get", new { id = 3 }));
    }

    [Fact]
    public async Task A_key_removed_from_the_allow_list_loses_its_proved_connection_without_a_restart()
    {
        using var alice = Client(_alice);
        Assert.Equal(1, await alice.CallAsync<int>("orders.get", new { id = 1 })); // proved on this connection

        File.Delete(Path.Combine(_allowed, "alice.key"));

        // The server checks proved connections again within ConnectionAuthentication.RecheckInterval (1 s): calls keep
        // working until then, and are refused after (the client proves again and is refused).
        var deadline = DateTime.UtcNow + Wait;
        Exception? refused = null;
        while (refused is null && DateTime.UtcNow < deadline)
        {
            try
            {
                await alice.CallAsync<int>("orders.get", new { id = 2 });
            }
            catch (RemoteUnauthenticatedException ex)
            {
                refused = ex;
            }
        }
        Assert.NotNull(refused);
        int ran = Volatile.Read(ref _ran);
        await Assert.ThrowsAsync<RemoteUnauthenticatedException>(() => alice.CallAsync<int>("orders.get", new { id = 3 }));
        Assert.Equal(ran, Volatile.Read(ref _ran)); // nothing runs for it any more
    }

    // ------------------------------------------------------------------ attacks, with raw sockets

    [Fact]
    public void A_request_before_the_proof_is_refused_and_does_not_run()
    {
        using var socket = RawSocket(_alice);

        var (ok, payload) = socket.Call("orders.get", new Dictionary<string, object?> { ["id"] = 1 });

        Assert.False(ok);
        Assert.Equal(ErrorCodes.Unauthenticated, RawBridgeSocket.ErrorCode(payload));
        Assert.Equal(0, Volatile.Read(ref _ran));
    }

    [Fact]
    public void A_recorded_proof_replayed_on_the_same_or_another_connection_is_refused()
    {
        Dictionary<string, object?> recorded;
        using (var socket = RawSocket(_alice))
        {
            recorded = socket.Proof(_alice, _serverKeys.PublicKey);
            Assert.True(socket.Call(AuthMessages.Prove, recorded).Ok);
            Assert.False(socket.Call(AuthMessages.Prove, recorded).Ok); // the challenge is used up
        }
        using var replayer = RawSocket(ZeroBridgeCertificate.Generate());
        Assert.False(replayer.Call(AuthMessages.Prove, recorded).Ok); // the challenge was never given to this connection
        Assert.False(replayer.Call("orders.get", new Dictionary<string, object?> { ["id"] = 1 }).Ok);
        Assert.Equal(0, Volatile.Read(ref _ran));
    }

    [Fact]
    public void A_proof_made_for_another_server_key_or_another_challenge_is_refused()
    {
        using var socket = RawSocket(_alice);

        var forOtherServer = socket.Proof(_alice, ZeroBridgeCertificate.Generate().PublicKey);
        Assert.False(socket.Call(AuthMessages.Prove, forOtherServer).Ok);

        var forOtherChallenge = socket.Proof(_alice, _serverKeys.PublicKey);
        forOtherChallenge["challenge"] = socket.Challenge(); // a genuine, unused challenge, but not the one boxed
        Assert.False(socket.Call(AuthMessages.Prove, forOtherChallenge).Ok);

        var claimingAnotherKey = socket.Proof(_alice, _serverKeys.PublicKey);
        claimingAnotherKey["key"] = _admin.PublicKey; // alice's box, claiming to be admin
        Assert.False(socket.Call(AuthMessages.Prove, claimingAnotherKey).Ok);

        Assert.False(socket.Call("orders.get", new Dictionary<string, object?> { ["id"] = 1 }).Ok);
        Assert.Equal(0, Volatile.Read(ref _ran));
    }

    [Fact]
    public void A_newcomer_reusing_the_routing_id_of_an_authenticated_connection_that_left_starts_unauthenticated()
    {
        byte[] routingId = "reused-id"u8.ToArray();
        using (var socket = RawSocket(_alice, routingId))
        {
            Assert.True(socket.Call(AuthMessages.Prove, socket.Proof(_alice, _serverKeys.PublicKey)).Ok);
            Assert.True(socket.Call("orders.get", new Dictionary<string, object?> { ["id"] = 1 }).Ok);
        }
        Assert.Equal(1, Volatile.Read(ref _ran));
        // A newcomer cannot take a routing id while its connection is open (ZeroMQ parks it), so wait until the server
        // saw the disconnect: the authentication must go with it.
        Assert.True(SpinWait.SpinUntil(() => _server.AuthenticatedConnections == 0, Wait),
            "the server kept the authentication of a connection that left");

        using var newcomer = RawSocket(ZeroBridgeCertificate.Generate(), routingId);
        var (ok, payload) = newcomer.Call("orders.get", new Dictionary<string, object?> { ["id"] = 2 });

        Assert.False(ok);
        Assert.Equal(ErrorCodes.Unauthenticated, RawBridgeSocket.ErrorCode(payload));
        Assert.Equal(1, Volatile.Read(ref _ran));
    }

    private RawBridgeSocket RawSocket(ZeroBridgeCertificate keys, byte[]? routingId = null) =>
        new(_server.Endpoint, _serverKeys.PublicKey, keys, routingId);
}
