using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NetMQ;
using ZeroBridge.Kernel.Messaging;

namespace ZeroBridge.UnitTests.Kernel;

/// <summary>The Jupyter wire format and its signatures, without sockets.</summary>
public class MessageCodecTests
{
    private const string Key = "a0436f6c-1916-498b-8eb9-e81ab9368e84";

    private static NetMQMessage Frames(string key, byte[] content, byte[]? signature = null)
    {
        byte[] header = Encoding.UTF8.GetBytes("""{"msg_id":"1","session":"s","username":"u","date":"","msg_type":"kernel_info_request","version":"5.3"}""");
        byte[] empty = "{}"u8.ToArray();
        // The signature computed the way every Jupyter peer does, independently of MessageSigner.
        signature ??= Encoding.ASCII.GetBytes(Convert.ToHexStringLower(
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), (byte[])[.. header, .. empty, .. empty, .. content])));
        var frames = new NetMQMessage();
        frames.Append("peer"u8.ToArray());
        frames.Append("<IDS|MSG>"u8.ToArray());
        frames.Append(signature);
        frames.Append(header);
        frames.Append(empty);
        frames.Append(empty);
        frames.Append(content);
        return frames;
    }

    [Fact]
    public void A_correctly_signed_message_decodes_with_its_identities()
    {
        var message = new MessageCodec(new MessageSigner(Key)).Decode(Frames(Key, """{"code":"1 + 1"}"""u8.ToArray()));
        Assert.Equal("kernel_info_request", message.MessageType);
        Assert.Equal("peer", Encoding.UTF8.GetString(Assert.Single(message.Identities)));
        Assert.Equal("1 + 1", JupyterMessage.Text(message.Content, "code"));
    }

    [Fact]
    public void A_message_signed_with_another_key_is_rejected()
    {
        var error = Assert.Throws<InvalidMessageException>(() =>
            new MessageCodec(new MessageSigner(Key)).Decode(Frames("another key", "{}"u8.ToArray())));
        Assert.Contains("signature", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not hex at all")]
    [InlineData("00")]
    public void A_missing_or_malformed_signature_is_rejected(string signature)
    {
        Assert.Throws<InvalidMessageException>(() =>
            new MessageCodec(new MessageSigner(Key)).Decode(Frames(Key, "{}"u8.ToArray(), Encoding.ASCII.GetBytes(signature))));
    }

    [Fact]
    public void Signed_content_that_is_not_a_json_object_is_rejected()
    {
        var codec = new MessageCodec(new MessageSigner(Key));
        Assert.Contains("not JSON", Assert.Throws<InvalidMessageException>(() => codec.Decode(Frames(Key, "{not json"u8.ToArray()))).Message);
        Assert.Contains("not a JSON object", Assert.Throws<InvalidMessageException>(() => codec.Decode(Frames(Key, "[1]"u8.ToArray()))).Message);
    }

    [Fact]
    public void Frames_without_the_delimiter_are_rejected()
    {
        var frames = new NetMQMessage();
        frames.Append("hello"u8.ToArray());
        Assert.Throws<InvalidMessageException>(() => new MessageCodec(new MessageSigner(Key)).Decode(frames));
    }

    [Fact]
    public void What_the_codec_encodes_it_decodes_and_a_peer_can_verify()
    {
        var codec = new MessageCodec(new MessageSigner(Key));
        var sent = JupyterMessage.Create("status", new JsonObject { ["execution_state"] = "idle" }, null, "session", [[1, 2]]);
        var frames = codec.Encode(sent);
        byte[] signed = [.. frames[3].ToByteArray(), .. frames[4].ToByteArray(), .. frames[5].ToByteArray(), .. frames[6].ToByteArray()];
        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), signed)), frames[2].ConvertToString());
        var received = codec.Decode(frames);
        Assert.Equal("idle", JupyterMessage.Text(received.Content, "execution_state"));
        Assert.Equal("5.3", JupyterMessage.Text(received.Header, "version"));
    }

    [Fact]
    public void With_an_empty_key_messages_are_neither_signed_nor_checked()
    {
        var signer = new MessageSigner("");
        Assert.Equal("", signer.Sign([], [], [], []));
        Assert.True(signer.Verify([], [], [], [], []));
    }
}
