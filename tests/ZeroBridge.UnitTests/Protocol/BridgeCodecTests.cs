using MessagePack;
using ZeroBridge.Protocol;
using ZeroBridge.Serialization;

namespace ZeroBridge.UnitTests.Protocol;

/// <summary>The bridge codec both ways, without sockets: what one side writes, the other side reads.</summary>
public class BridgeCodecTests
{
    [Fact]
    public void A_call_header_reads_back_as_written()
    {
        byte[] frame = RequestHeader.WriteCall(42, "orders.recent", TimeSpan.FromMilliseconds(1500), ["dict"]);
        var header = RequestHeader.Parse(frame, out var rawId);
        Assert.Equal("orders.recent", header.Command);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), header.Timeout);
        Assert.False(header.IsCancel);
        Assert.Equal(["dict"], header.Accept);
        Assert.Equal(42, MessagePackSerializer.Deserialize<long>(rawId));
    }

    [Fact]
    public void Only_a_frame_opening_with_a_map_could_be_a_header()
    {
        Assert.True(RequestHeader.OpensWithMap(RequestHeader.WriteCall(1, "ping", TimeSpan.FromSeconds(1), [])));
        Assert.True(RequestHeader.OpensWithMap(RequestHeader.WriteCancel(1)));
        Assert.True(RequestHeader.OpensWithMap([0xde, 0x00, 0x00])); // map16
        Assert.True(RequestHeader.OpensWithMap([0xdf, 0x00, 0x00, 0x00, 0x00])); // map32
        Assert.False(RequestHeader.OpensWithMap("Hello world"u8)); // what the zguide's mdclient sends
        Assert.False(RequestHeader.OpensWithMap([0x90])); // an empty array
        Assert.False(RequestHeader.OpensWithMap([]));
    }

    [Fact]
    public void A_cancel_header_reads_back_as_a_cancel_of_the_same_id()
    {
        var header = RequestHeader.Parse(RequestHeader.WriteCancel(9), out _);
        Assert.True(header.IsCancel);
        Assert.Null(header.Command);
        Assert.Equal(9, MessagePackSerializer.Deserialize<long>(header.RawId));
    }

    [Fact]
    public void A_reply_header_echoes_the_request_id_byte_for_byte_and_reads_back()
    {
        var rawId = RequestHeader.Parse(RequestHeader.WriteCall(long.MaxValue, "ping", TimeSpan.FromSeconds(1), []), out _).RawId;
        byte[] reply = ReplyHeader.Write(rawId, ok: true);
        Assert.True(ReplyHeader.TryRead(reply, out long id, out bool ok));
        Assert.Equal(long.MaxValue, id);
        Assert.True(ok);
        Assert.True(ReplyHeader.TryRead(ReplyHeader.Write(rawId, ok: false), out _, out ok));
        Assert.False(ok);
    }

    [Theory]
    [InlineData(new byte[] { 0xc1 })]                 // never-used msgpack code
    [InlineData(new byte[] { 0x93, 1, 2, 3 })]        // an array, not a map
    [InlineData(new byte[] { 0x81, 0xa2, 0x69, 0x64 })] // {"id": <missing value>}
    public void A_reply_header_that_is_not_one_is_refused_not_thrown(byte[] frame)
    {
        Assert.False(ReplyHeader.TryRead(frame, out _, out _));
    }

    [Fact]
    public void An_error_map_round_trips_with_its_details_and_maps_to_the_typed_exception()
    {
        var error = new ErrorMap(ErrorCodes.InvalidArgument, "System.ArgumentException", "n must be int", "at X",
            new Dictionary<string, object?> { ["parameter"] = "n", ["expected"] = "int" });
        var read = ErrorMap.Decode(error.Encode(WireSerializer.BaseOptions), WireSerializer.BaseOptions);
        Assert.Equal(error.Code, read.Code);
        Assert.Equal(error.Type, read.Type);
        Assert.Equal(error.Message, read.Message);
        Assert.Equal(error.Stack, read.Stack);
        Assert.Equal("n", read.Details!["parameter"]);
        var exception = Assert.IsType<RemoteInvalidArgumentException>(read.ToException());
        Assert.Equal("int", exception.Details["expected"]);
    }

    [Fact]
    public void An_error_map_writes_every_key_with_nil_for_the_empty_ones()
    {
        var map = MessagePackSerializer.Deserialize<Dictionary<string, object?>>(
            ErrorMap.Of(ErrorCodes.BadRequest, "bad").Encode(WireSerializer.BaseOptions));
        Assert.Equal(["code", "type", "message", "stack", "details"], map.Keys);
        Assert.Null(map["stack"]);
        Assert.Null(map["details"]);
    }

    [Theory]
    [InlineData("unknown_command", typeof(RemoteCommandNotFoundException))]
    [InlineData("not_found", typeof(RemoteNotFoundException))]
    [InlineData("permission_denied", typeof(RemotePermissionDeniedException))]
    [InlineData("timeout", typeof(RemoteTimeoutException))]
    [InlineData("too_large", typeof(RequestTooLargeException))]
    [InlineData("service_unavailable", typeof(ServiceUnavailableException))]
    [InlineData("worker_lost", typeof(WorkerLostException))]
    [InlineData("command_failed", typeof(ZeroBridgeRemoteException))]
    [InlineData("some_future_code", typeof(ZeroBridgeRemoteException))]
    public void Each_code_has_its_remote_exception_type(string code, Type expected)
    {
        var exception = new ErrorMap(code, null, "m", null, null).ToException();
        Assert.IsType(expected, exception);
        Assert.Equal(code, exception.Code);
    }

    [Fact]
    public void An_error_body_that_is_not_a_map_is_a_protocol_error()
    {
        Assert.Throws<ZeroBridgeProtocolException>(() => ErrorMap.Decode(MessagePackSerializer.Serialize("oops"), WireSerializer.BaseOptions));
    }

    [Fact]
    public void A_request_body_splits_into_header_arguments_and_attachments()
    {
        byte[] header = RequestHeader.WriteCall(1, "echo", TimeSpan.FromSeconds(1), []);
        byte[] arguments = [0x92, 0x90, 0x80];
        var body = RequestBody.Parse([header, arguments, new byte[] { 1, 2 }], out _);
        Assert.Equal("echo", body.Header.Command);
        Assert.Equal(arguments, body.Arguments!.Value.ToArray());
        Assert.Equal([1, 2], Assert.Single(body.Attachments).ToArray());
        Assert.Null(RequestBody.Parse([header], out _).Arguments);
    }

    [Fact]
    public void A_broken_request_body_still_yields_its_id_for_the_error_reply()
    {
        byte[] header = MessagePackSerializer.Serialize(new Dictionary<string, object> { ["v"] = 99, ["id"] = 5, ["cmd"] = "x" });
        ReadOnlyMemory<byte> rawId = default;
        Assert.Throws<ZeroBridgeProtocolException>(() => RequestBody.Parse([header], out rawId));
        Assert.Equal(5, MessagePackSerializer.Deserialize<long>(rawId));
    }
}
