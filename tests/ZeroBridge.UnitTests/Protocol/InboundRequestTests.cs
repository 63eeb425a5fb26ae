using MessagePack;
using NetMQ;
using ZeroBridge.Protocol;

namespace ZeroBridge.UnitTests.Protocol;

public class InboundRequestTests
{
    private static readonly byte[] Peer = [0, 1, 2, 3, 4];

    private static NetMQMessage Message(params byte[][] frames)
    {
        var message = new NetMQMessage();
        foreach (var frame in frames)
            message.Append(frame);
        return message;
    }

    private static byte[] Header(object id, string? cmd = "ping", int v = 1) =>
        MessagePackSerializer.Serialize(new Dictionary<string, object?> { ["v"] = v, ["id"] = id, ["cmd"] = cmd });

    [Fact]
    public void A_req_request_keeps_its_delimiter_for_the_reply()
    {
        var request = Assert.IsType<BridgeRequest>(InboundRequest.Parse(
            Message(Peer, [], "MDPC01"u8.ToArray(), "svc"u8.ToArray(), Header(7))));
        Assert.True(request.Envelope.HasDelimiter);
        Assert.Equal("svc", request.Service);
        Assert.Equal("ping", request.Header.Command);
        Assert.Null(request.Body.Arguments);
        Assert.Equal(7, MessagePackSerializer.Deserialize<int>(request.Header.RawId));
    }

    [Fact]
    public void A_dealer_request_without_delimiter_is_understood()
    {
        var request = Assert.IsType<BridgeRequest>(InboundRequest.Parse(
            Message(Peer, "MDPC01"u8.ToArray(), "svc"u8.ToArray(), Header("abc"))));
        Assert.False(request.Envelope.HasDelimiter);
    }

    [Fact]
    public void One_text_frame_is_a_gateway_request()
    {
        Assert.IsType<GatewayRequest>(InboundRequest.Parse(Message(Peer, [], "ping"u8.ToArray())));
    }

    [Fact]
    public void Several_non_mdp_frames_are_malformed_gateway_requests()
    {
        var request = Assert.IsType<MalformedRequest>(InboundRequest.Parse(Message(Peer, [], [1], [2])));
        Assert.True(request.IsGateway);
    }

    [Fact]
    public void A_request_without_header_is_malformed()
    {
        Assert.IsType<MalformedRequest>(InboundRequest.Parse(Message(Peer, [], "MDPC01"u8.ToArray(), "svc"u8.ToArray())));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void A_wrong_version_is_malformed_but_keeps_the_id(int version)
    {
        var request = Assert.IsType<MalformedRequest>(InboundRequest.Parse(
            Message(Peer, [], "MDPC01"u8.ToArray(), "svc"u8.ToArray(), Header(42, v: version))));
        Assert.Contains("version", request.Reason);
        Assert.Equal(42, MessagePackSerializer.Deserialize<int>(request.RawId));
    }

    [Fact]
    public void A_garbage_header_is_malformed()
    {
        var request = Assert.IsType<MalformedRequest>(InboundRequest.Parse(
            Message(Peer, [], "MDPC01"u8.ToArray(), "svc"u8.ToArray(), [0xc1, 0xff, 0x00])));
        Assert.Equal(RequestHeader.NilId.ToArray(), request.RawId.ToArray());
    }
}
