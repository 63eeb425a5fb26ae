namespace ZeroBridge.Commands;

/// <summary>
/// Marks a command as safe to run more than once with the same arguments. When a broker loses the worker that
/// was running such a command, it sends the request to another worker instead of answering <c>worker_lost</c>.
/// </summary>
/// <example>
/// <code>
/// commands.Add("orders.get", [Idempotent] (int id) => db.Order(id));
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Method)]
public sealed class IdempotentAttribute : Attribute;
