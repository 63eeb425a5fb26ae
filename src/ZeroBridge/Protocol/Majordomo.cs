using System.Text;

namespace ZeroBridge.Protocol;

/// <summary>
/// Fixed values of 7/MDP (Majordomo 0.1) and 8/MMI, as the broker and the workers use them
/// (docs/protocol.md §9). Pure constants; no sockets.
/// </summary>
public static class Majordomo
{
    /// <summary>The MDP/Worker signature, frame 1 of every worker command.</summary>
    public const string WorkerSignature = "MDPW01";

    /// <summary>The prefix of the services a broker answers itself (8/MMI).</summary>
    public const string ManagementPrefix = "mmi.";

    /// <summary>The worker commands of 7/MDP: one byte each, in frame 2.</summary>
    public enum Command : byte
    {
        /// <summary>Worker to broker: register for the service named in frame 3.</summary>
        Ready = 0x01,
        /// <summary>Broker to worker: a client's request (client address, empty, body).</summary>
        Request = 0x02,
        /// <summary>Worker to broker: the reply to the current request (client address, empty, body).</summary>
        Reply = 0x03,
        /// <summary>Either way: still alive.</summary>
        Heartbeat = 0x04,
        /// <summary>Either way: the conversation is over.</summary>
        Disconnect = 0x05,
    }

    /// <summary>MMI services (8/MMI plus the ZeroBridge additions of docs/protocol.md §9.6).</summary>
    public static class Services
    {
        /// <summary>8/MMI: "200" when the named service has a worker, else "404".</summary>
        public const string Service = "mmi.service";
        /// <summary>Every service with its worker counts and queue depth, as JSON.</summary>
        public const string ServiceList = "mmi.services";
        /// <summary>The workers of one service, as JSON.</summary>
        public const string Workers = "mmi.workers";
        /// <summary>The broker's counters, as JSON.</summary>
        public const string Broker = "mmi.broker";
        /// <summary>Sent by a worker: which of its commands are safe to run twice.</summary>
        public const string Idempotent = "mmi.idempotent";
    }

    /// <summary>MMI status codes, one frame of ASCII digits.</summary>
    public static class Status
    {
        /// <summary>Found / done.</summary>
        public const string Ok = "200";
        /// <summary>The request was malformed.</summary>
        public const string BadRequest = "400";
        /// <summary>Not found.</summary>
        public const string NotFound = "404";
        /// <summary>An mmi.* service this broker does not implement.</summary>
        public const string NotImplemented = "501";
        /// <summary>The worker serving the request was lost.</summary>
        public const string WorkerLost = "502";
        /// <summary>No worker took the request in time.</summary>
        public const string ServiceUnavailable = "503";
    }

    internal static readonly byte[] WorkerSignatureBytes = Encoding.ASCII.GetBytes(WorkerSignature);
}
