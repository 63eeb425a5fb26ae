using ZeroBridge.Security;

namespace ZeroBridge.Streams;

/// <summary>
/// The topic-key policy of a publisher with an <see cref="ZeroBridgePublisherOptions.AllowList"/>: a topic's key goes
/// only to a snapshot connection that proved an allow-listed key (<c>auth.hello</c>/<c>auth.prove</c>) whose
/// <c>topics</c> permit the topic (docs/security.md, "Streams"). An unproved connection gets no key at all.
/// </summary>
internal sealed class ProvedTopicPermissionPolicy(ConnectionAuthentication authentication) : ITopicKeyPolicy
{
    /// <inheritdoc/>
    public bool MayRead(string connection, string topic) =>
        authentication.IdentityOf(connection)?.Permissions.AllowsTopic(topic) ?? false;
}
