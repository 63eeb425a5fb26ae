using Microsoft.Extensions.Logging;
using ZeroBridge.Protocol;

namespace ZeroBridge.Security;

/// <summary>
/// Which connections of one ROUTER socket have proved their client key (docs/security.md, "Client authentication"):
/// the challenges handed out per connection, the proof check, and the identity of each authenticated connection,
/// keyed by the connection's routing id and dropped when the connection's disconnect message arrives.
/// </summary>
/// <remarks>
/// Not thread-safe: it lives on its socket's thread, where the requests, the proofs and the disconnect messages of a
/// routing id arrive in order. That order is what makes it sound: a newcomer can take a routing id only after the
/// socket delivered the old connection's disconnect message, so <see cref="Disconnected"/> has run before the
/// newcomer's first request is seen. A challenge is random, bound to the connection it was given to, and usable once.
/// </remarks>
internal sealed class ConnectionAuthentication(ZeroBridgeCertificate server, AllowList allowList, ILogger logger, string component)
{
    /// <summary>How many unanswered challenges one connection may hold (concurrent calls may each ask for one).</summary>
    public const int MaxChallengesPerConnection = 8;

    private readonly Dictionary<string, List<byte[]>> _challenges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CallerIdentity> _authenticated = new(StringComparer.Ordinal);

    /// <summary>The allow-list proofs are checked against.</summary>
    public AllowList AllowList => allowList;

    private int _authenticatedCount;

    /// <summary>How many connections are authenticated now; any thread may read it.</summary>
    public int AuthenticatedCount => Volatile.Read(ref _authenticatedCount);

    /// <summary>A fresh challenge for <paramref name="connection"/> (the oldest unanswered one is dropped beyond the limit).</summary>
    public byte[] Hello(string connection)
    {
        if (!_challenges.TryGetValue(connection, out var open))
            _challenges[connection] = open = [];
        if (open.Count >= MaxChallengesPerConnection)
            open.RemoveAt(0);
        var challenge = ClientProof.NewChallenge();
        open.Add(challenge);
        return challenge;
    }

    /// <summary>
    /// Checks a proof; on success <paramref name="connection"/> is authenticated as the returned identity. The
    /// challenge is used up whatever the outcome.
    /// </summary>
    /// <returns>The identity, or the reason for refusing (for the <c>unauthenticated</c> reply).</returns>
    public (CallerIdentity? Identity, string? Refusal) Prove(string connection, string clientKey, byte[] challenge, byte[] nonce, byte[] proof)
    {
        if (!TakeChallenge(connection, challenge))
            return (null, "The challenge was not given to this connection, or was used already: ask auth.hello for a new one.");
        if (ClientProof.Raw(clientKey) is not { } rawKey)
            return (null, "The key is not a 40-character Z85 public key.");
        if (!ClientProof.Verify(server, rawKey, challenge, nonce, proof))
        {
            SecurityLog.ProofInvalid(logger, component, connection, clientKey);
            return (null, "The proof does not verify: it was not made with this key's secret key for this server and challenge.");
        }
        if (allowList.Find(clientKey) is not { } identity)
        {
            SecurityLog.KeyNotAllowed(logger, component, connection, clientKey, allowList);
            return (null, $"The key {clientKey} is not on this server's allow-list.");
        }
        _authenticated[connection] = identity;
        Volatile.Write(ref _authenticatedCount, _authenticated.Count);
        SecurityLog.ConnectionAuthenticated(logger, component, connection, identity.Display);
        return (identity, null);
    }

    /// <summary>
    /// Answers an <c>auth.hello</c> or <c>auth.prove</c> from <paramref name="connection"/> (docs/protocol.md §15): the
    /// reply body, a success or the error <paramref name="reject"/> makes (<c>bad_request</c>, <c>unauthenticated</c>).
    /// </summary>
    public ReplyBody Answer(string connection, RequestBody request, Func<ReadOnlyMemory<byte>, ErrorMap, ReplyBody> reject)
    {
        var rawId = request.Header.RawId;
        // Only auth.hello and auth.prove come here, so the command is there.
        var answer = Answer(connection, request.Header.Command!, () => AuthMessages.ReadProve(request.Arguments));
        return answer switch
        {
            { Error: { } error } => reject(rawId, error),
            { Challenge: { } challenge } => new ReplyBody(ReplyHeader.Write(rawId, ok: true), AuthMessages.HelloReply(challenge), []),
            _ => new ReplyBody(ReplyHeader.Write(rawId, ok: true), AuthMessages.IdentityMap(answer.Identity!.Key, answer.Identity.Name), []),
        };
    }

    /// <summary>
    /// Answers <c>auth.hello</c> (<paramref name="command"/>) or <c>auth.prove</c> in no wire form, for the bridge
    /// protocol and the JSON gateway alike.
    /// </summary>
    /// <param name="connection">The routing id of the asking connection, hex.</param>
    /// <param name="command"><c>auth.hello</c> or <c>auth.prove</c>.</param>
    /// <param name="readProve">Reads <c>auth.prove</c>'s arguments in the request's own form; throws
    /// <see cref="ZeroBridgeProtocolException"/> (answered <c>bad_request</c>) when they are not right.</param>
    public ProofAnswer Answer(string connection, string command, Func<AuthMessages.ProveArguments> readProve)
    {
        if (command == AuthMessages.Hello)
            return new ProofAnswer(Hello(connection), null, null);
        AuthMessages.ProveArguments arguments;
        try
        {
            arguments = readProve();
        }
        catch (ZeroBridgeProtocolException ex)
        {
            return new ProofAnswer(null, null, ErrorMap.Of(ErrorCodes.BadRequest, ex.Message));
        }
        var (identity, refusal) = Prove(connection, arguments.Key, arguments.Challenge, arguments.Nonce, arguments.Proof);
        return new ProofAnswer(null, identity, identity is null ? ErrorMap.Of(ErrorCodes.Unauthenticated, refusal!) : null);
    }

    /// <summary>How often proved connections are checked against the allow-list again (a removed key loses its access).</summary>
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(1);

    private long _nextRecheck; // Environment.TickCount64

    /// <summary>
    /// The identity <paramref name="connection"/> proved, or null while it has not, or since its key left the
    /// allow-list: proved connections are checked against the allow-list again at most every
    /// <see cref="RecheckInterval"/>, so removing a key file (or a callback that stops finding a key) ends the
    /// access of connections that proved it, and changed permissions take effect, without a restart.
    /// </summary>
    public CallerIdentity? IdentityOf(string connection)
    {
        RecheckWhenDue();
        return _authenticated.GetValueOrDefault(connection);
    }

    /// <summary>
    /// Called for each proved connection a recheck found changed, after the recheck: with the identity it has now
    /// (its permissions changed), or null when its key left the allow-list and the connection is no longer
    /// authenticated. What the listener handed out under the old rules goes with it: a broker disconnects a worker
    /// that may no longer serve its service, a task producer drops the worker and re-sends its tasks.
    /// </summary>
    public Action<string, CallerIdentity?>? Changed { get; set; }

    /// <summary>Runs <see cref="Recheck"/> when <see cref="RecheckInterval"/> has passed since the last one.</summary>
    public void RecheckWhenDue()
    {
        if (_authenticated.Count > 0 && Environment.TickCount64 >= _nextRecheck)
            Recheck();
    }

    /// <summary>
    /// Counts the rechecks that found a proved connection's key gone from the allow-list or its permissions changed:
    /// what was handed out under the old rules (a publisher's topic keys) should then be renewed.
    /// </summary>
    public long Revision { get; private set; }

    /// <summary>Checks the proved connections against the allow-list now (see <see cref="IdentityOf"/>).</summary>
    public void Recheck()
    {
        _nextRecheck = Environment.TickCount64 + (long)RecheckInterval.TotalMilliseconds;
        bool changed = false;
        var find = allowList.Current(); // the directory listed once for all connections
        List<(string Connection, CallerIdentity? Identity)>? changes = null;
        foreach (var (connection, identity) in _authenticated.ToList())
        {
            var now = find(identity.Key);
            if (now is null)
            {
                changed = true;
                _authenticated.Remove(connection);
                (changes ??= []).Add((connection, null));
                SecurityLog.KeyRevoked(logger, component, identity.Display, allowList, connection);
            }
            else if (now != identity)
            {
                bool permissions = now.Permissions.ToString() != identity.Permissions.ToString();
                changed |= permissions;
                _authenticated[connection] = now;
                if (permissions)
                    (changes ??= []).Add((connection, now));
            }
        }
        Volatile.Write(ref _authenticatedCount, _authenticated.Count);
        if (changed)
            Revision++;
        foreach (var (connection, identity) in changes ?? [])
            Changed?.Invoke(connection, identity);
    }

    /// <summary>Forgets <paramref name="connection"/>: its disconnect message arrived, its routing id may be reused.</summary>
    public void Disconnected(string connection)
    {
        _challenges.Remove(connection);
        if (_authenticated.Remove(connection))
            Volatile.Write(ref _authenticatedCount, _authenticated.Count);
    }

    /// <summary>Removes <paramref name="challenge"/> from the connection's open challenges; whether it was there.</summary>
    private bool TakeChallenge(string connection, byte[] challenge)
    {
        if (!_challenges.TryGetValue(connection, out var open))
            return false;
        int index = open.FindIndex(c => c.AsSpan().SequenceEqual(challenge));
        if (index < 0)
            return false;
        open.RemoveAt(index);
        if (open.Count == 0)
            _challenges.Remove(connection);
        return true;
    }
}
