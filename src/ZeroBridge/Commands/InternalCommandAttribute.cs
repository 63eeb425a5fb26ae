namespace ZeroBridge.Commands;

/// <summary>
/// Marks a command that clients call on the user's behalf rather than the user directly (the chunked-table cursor
/// <c>table.next</c>, the <c>csharp.*</c> commands behind <c>run_csharp</c>): its description carries
/// <c>"internal": true</c> (docs/protocol.md §5), so clients keep it out of their command namespaces. It stays
/// callable and listed; this is about presentation, not permission.
/// </summary>
/// <example>
/// <code>
/// commands.Add("jobs.poll", [InternalCommand] (string cursor) => jobs.Poll(cursor));
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Method)]
public sealed class InternalCommandAttribute : Attribute;
