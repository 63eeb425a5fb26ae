using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Protocol;
using ZeroBridge.Security;
using ZeroBridge.Serialization;

namespace ZeroBridge.Tests.Security;

/// <summary>
/// A CURVE DEALER that speaks the bridge protocol by hand, for the attacks a client library would never make: requests
/// before the proof, replayed or forged proofs, chosen routing ids, READY without permission.
/// </summary>
internal sealed class RawBridgeSocket : IDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static long _ids;

    public RawBridgeSocket(string endpoint, string serverKey, ZeroBridgeCertificate keys, byte[]? routingId = null, string service = WireConstants.DefaultService)
    {
        Service = service;
        Socket = new DealerSocket();
        Socket.Options.Linger = TimeSpan.Zero;
        if (routingId is not null)
            Socket.Options.Identity = routingId;
        Socket.Options.CurveServerCertificate = NetMQCertificate.FromPublicKey(serverKey);
        Socket.Options.CurveCertificate = new NetMQCertificate(keys.SecretKey!, keys.PublicKey);
        Socket.Connect(endpoint);
    }

    public DealerSocket Socket { get; }

    public string Service { get; }

    /// <summary>One bridge-protocol request and its reply: (ok, payload).</summary>
    public (bool Ok, byte[] Payload) Call(string command, Dictionary<string, object?> keyword)
    {
        long id = Interlocked.Increment(ref _ids);
        Socket.SendMultipartMessage(Request(id, command, keyword, Service));
        var reply = new NetMQMessage();
        Assert.True(Socket.TryReceiveMultipartMessage(Wait, ref reply), $"no reply to {command}");
        Assert.True(ReplyHeader.TryRead(reply[3].ToByteArray(), out long replyId, out bool ok));
        Assert.Equal(id, replyId);
        return (ok, reply[4].ToByteArray());
    }

    /// <summary>A bridge request (docs/protocol.md §2) built by hand, for peers that are no client library.</summary>
    public static NetMQMessage Request(long id, string command, Dictionary<string, object?> keyword, string service = WireConstants.DefaultService)
    {
        var message = new NetMQMessage();
        message.AppendEmptyFrame();
        message.Append(WireConstants.ClientSignature);
        message.Append(service);
        message.Append(RequestHeader.WriteCall(id, command, Wait, [], null, null));
        message.Append(WireSerializer.Serialize(typeof(object[]), new object[] { Array.Empty<object>(), keyword }, []));
        return message;
    }

    /// <summary>The error code of a failed reply's payload.</summary>
    public static string ErrorCode(byte[] payload) => ErrorMap.Decode(payload, WireSerializer.ForReading([])).Code;

    /// <summary>A fresh challenge from the server.</summary>
    public byte[] Challenge()
    {
        var (ok, payload) = Call(AuthMessages.Hello, []);
        Assert.True(ok);
        return AuthMessages.ReadHelloReply(payload);
    }

    /// <summary>A fresh challenge and <paramref name="keys"/>' proof for it, boxed to <paramref name="serverKey"/>.</summary>
    public Dictionary<string, object?> Proof(ZeroBridgeCertificate keys, string serverKey)
    {
        byte[] challenge = Challenge();
        var (nonce, box) = ClientProof.Create(serverKey, keys, challenge);
        return new Dictionary<string, object?> { ["key"] = keys.PublicKey, ["challenge"] = challenge, ["nonce"] = nonce, ["proof"] = box };
    }

    public void Dispose() => Socket.Dispose();
}
