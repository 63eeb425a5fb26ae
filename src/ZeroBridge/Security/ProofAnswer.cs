using ZeroBridge.Protocol;

namespace ZeroBridge.Security;

/// <summary>The answer to one proof request: the challenge (<c>auth.hello</c>), the proved identity (<c>auth.prove</c>), or the error.</summary>
/// <param name="Challenge">The fresh challenge an <c>auth.hello</c> gets.</param>
/// <param name="Identity">Who the connection proved to be.</param>
/// <param name="Error">Why the request was refused (<c>bad_request</c>, <c>unauthenticated</c>).</param>
internal sealed record ProofAnswer(byte[]? Challenge, CallerIdentity? Identity, ErrorMap? Error);
