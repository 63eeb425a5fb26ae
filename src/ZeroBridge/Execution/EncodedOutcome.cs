namespace ZeroBridge.Execution;

/// <summary>An outcome as the bytes of a reply's payload frame and its attachment frames.</summary>
/// <param name="Ok">Whether it is a result (true) or an error map (false).</param>
/// <param name="Payload">The msgpack payload.</param>
/// <param name="Attachments">The attachment frames the payload refers to.</param>
public sealed record EncodedOutcome(bool Ok, byte[] Payload, IReadOnlyList<ReadOnlyMemory<byte>> Attachments);
