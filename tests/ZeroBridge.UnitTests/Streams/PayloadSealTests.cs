using ZeroBridge.Streams;

namespace ZeroBridge.UnitTests.Streams;

/// <summary>The sealed payload and the topic-key messages of docs/protocol.md §11.6, without sockets.</summary>
public class PayloadSealTests
{
    [Fact]
    public void A_sealed_payload_opens_with_its_key_into_the_same_frames()
    {
        byte[] key = PayloadSeal.NewKey();
        byte[] value = [1, 2, 3];
        ReadOnlyMemory<byte>[] attachments = [new byte[] { 9 }, new byte[5000]];

        byte[] sealedFrame = PayloadSeal.Seal(value, attachments, key);
        var (opened, openedAttachments) = PayloadSeal.Open(sealedFrame, key);

        Assert.Equal(value, opened.ToArray());
        Assert.Equal(attachments.Select(a => a.ToArray()), openedAttachments.Select(a => a.ToArray()));
    }

    [Fact]
    public void Two_seals_of_one_value_differ_because_each_has_a_random_nonce()
    {
        byte[] key = PayloadSeal.NewKey();

        Assert.NotEqual(PayloadSeal.Seal([7], [], key), PayloadSeal.Seal([7], [], key));
    }

    [Fact]
    public void Another_key_a_flipped_bit_or_a_short_frame_is_a_protocol_error_not_a_crash()
    {
        byte[] key = PayloadSeal.NewKey();
        byte[] sealedFrame = PayloadSeal.Seal([1, 2, 3], [], key);
        byte[] flipped = (byte[])sealedFrame.Clone();
        flipped[^1] ^= 1;

        Assert.Throws<ZeroBridgeProtocolException>(() => PayloadSeal.Open(sealedFrame, PayloadSeal.NewKey()));
        Assert.Throws<ZeroBridgeProtocolException>(() => PayloadSeal.Open(flipped, key));
        Assert.Throws<ZeroBridgeProtocolException>(() => PayloadSeal.Open(sealedFrame.AsSpan(0, 30), key));
    }

    [Fact]
    public void A_key_reply_round_trips_and_a_malformed_request_names_what_is_wrong()
    {
        var key = new TopicKey(3, PayloadSeal.NewKey());
        var (keys, denied) = TopicKeyMessages.ParseReply(TopicKeyMessages.EncodeReply("r1",
            new Dictionary<string, TopicKey> { ["prices.ACME"] = key }, ["orders.secret"]));

        Assert.Equal(3, keys["prices.ACME"].Generation);
        Assert.Equal(key.Key, keys["prices.ACME"].Key);
        Assert.Equal(["orders.secret"], denied);
        var (topics, id) = TopicKeyMessages.ParseRequest(TopicKeyMessages.EncodeRequest(["a", "b"], "x"));
        Assert.Equal(["a", "b"], topics);
        Assert.Equal("x", id);
        Assert.Contains("topics", Assert.Throws<ZeroBridgeProtocolException>(() => TopicKeyMessages.ParseRequest(new byte[] { 0x81, 0xa1, 0x76, 0x01 })).Message);
        Assert.Throws<ZeroBridgeProtocolException>(() => TopicKeyMessages.ParseRequest(new byte[] { 0xc1 }));
    }
}
