namespace ZeroBridge.Streams;

/// <summary>
/// Decides which snapshot-endpoint peer may have the payload key of an encrypted topic
/// (<see cref="ZeroBridgePublisherOptions.EncryptPayloads"/>; docs/security.md, "Streams"). The one place where stream
/// permissions apply: a peer without the key sees topic names and sequence numbers, never data.
/// </summary>
public interface ITopicKeyPolicy
{
    /// <summary>Whether the peer on <paramref name="connection"/> may read <paramref name="topic"/>.</summary>
    /// <param name="connection">The peer's routing id on the snapshot ROUTER, as upper-case hex.</param>
    /// <param name="topic">The topic whose key it asks for.</param>
    /// <remarks>Called on the publisher's socket thread: keep it short.</remarks>
    bool MayRead(string connection, string topic);
}

/// <summary>The default <see cref="ITopicKeyPolicy"/>: every peer that completed the CURVE handshake (pinned the publisher's key) may read every topic.</summary>
public sealed class AnyCurvePeerPolicy : ITopicKeyPolicy
{
    /// <summary>The one instance.</summary>
    public static AnyCurvePeerPolicy Instance { get; } = new();

    private AnyCurvePeerPolicy()
    {
    }

    /// <inheritdoc/>
    public bool MayRead(string connection, string topic) => true;
}
