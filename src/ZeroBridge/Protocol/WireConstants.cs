using System.Text;

namespace ZeroBridge.Protocol;

/// <summary>Fixed values of the wire protocol (docs/protocol.md).</summary>
public static class WireConstants
{
    /// <summary>The protocol's major version, sent as <c>v</c> in every header.</summary>
    public const int Version = 1;

    /// <summary>The 7/MDP client signature that opens every bridge-protocol body.</summary>
    public const string ClientSignature = "MDPC01";

    /// <summary>The service name a direct server is conventionally addressed by.</summary>
    public const string DefaultService = "zerobridge";

    /// <summary>Byte arrays at least this long travel as attachment frames rather than inline msgpack.</summary>
    public const int AttachmentThreshold = 64 * 1024;

    internal static readonly byte[] ClientSignatureBytes = Encoding.ASCII.GetBytes(ClientSignature);

    /// <summary>Values of the request header's <c>accept</c> list: optional encodings a client reads.</summary>
    internal static class Accept
    {
        /// <summary>Dictionary-encoded string columns (docs/protocol.md §10.4).</summary>
        public const string Dictionary = "dict";
    }

    /// <summary>Header keys.</summary>
    internal static class Header
    {
        public const string Version = "v";
        public const string Id = "id";
        public const string Command = "cmd";
        public const string Timeout = "timeout";
        public const string Cancel = "cancel";
        public const string Accept = "accept";
        public const string Ok = "ok";
        public const string TraceParent = "traceparent";
        public const string TraceState = "tracestate";
    }
}
