using System.ComponentModel;
using System.Reflection;
using ZeroBridge.Serialization;

namespace ZeroBridge.Commands;

/// <summary>
/// A registered command: its name, description and parameters as taken from the method, and how to run it.
/// </summary>
public sealed class CommandDescriptor
{
    private readonly object? _target;
    private readonly Func<object?, ValueTask<object?>> _awaitResult;

    internal CommandDescriptor(string name, MethodInfo method, object? target, string? description)
    {
        Name = name;
        Method = method;
        _target = target;
        var docs = XmlDocumentation.For(method);
        Description = description ?? method.GetCustomAttribute<DescriptionAttribute>()?.Description ?? docs.Summary;
        Parameters = method.GetParameters()
            .Select(p => new CommandParameter(p,
                p.GetCustomAttribute<DescriptionAttribute>()?.Description ?? docs.Parameters.GetValueOrDefault(p.Name ?? "")))
            .ToList();
        (ReturnType, _awaitResult) = ResultAwaiting.For(method.ReturnType);
        RequiresTrustedEndpoint = method.IsDefined(typeof(RequiresTrustedEndpointAttribute), inherit: true);
    }

    /// <summary>Whether the command may only be served on an endpoint untrusted clients cannot reach.</summary>
    public bool RequiresTrustedEndpoint { get; }

    /// <summary>The name callers use, e.g. <c>orders.recent</c>.</summary>
    public string Name { get; }

    /// <summary>What the command does, for <c>help()</c> in Python.</summary>
    public string? Description { get; }

    /// <summary>All parameters of the method, including those the server fills in.</summary>
    public IReadOnlyList<CommandParameter> Parameters { get; }

    /// <summary>The parameters a caller passes.</summary>
    public IEnumerable<CommandParameter> Arguments => Parameters.Where(p => p.Source == ParameterSource.Argument);

    /// <summary>The type of the result, after awaiting (<see cref="void"/> when there is none).</summary>
    public Type ReturnType { get; }

    /// <summary>The method that runs.</summary>
    public MethodInfo Method { get; }

    /// <summary>
    /// Whether the command is safe to run twice (<see cref="IdempotentAttribute"/>, or
    /// <see cref="CommandRegistry.MarkIdempotent"/>); a broker retries such a command on another worker.
    /// </summary>
    public bool IsIdempotent => _idempotent || Method.IsDefined(typeof(IdempotentAttribute), inherit: true);

    private volatile bool _idempotent;

    internal void MarkIdempotent() => _idempotent = true;

    /// <summary>Runs the command with bound arguments and awaits its result.</summary>
    internal ValueTask<object?> InvokeAsync(object?[] arguments)
    {
        object? returned = Method.Invoke(_target, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
        return _awaitResult(returned);
    }

    /// <summary>The description sent by the built-in <c>commands</c> command (docs/protocol.md §5).</summary>
    internal Dictionary<string, object?> Describe() => new()
    {
        ["name"] = Name,
        ["description"] = Description,
        ["parameters"] = Arguments.Select(p =>
        {
            var parameter = new Dictionary<string, object?>
            {
                ["name"] = p.Name,
                ["type"] = p.WireTypeName,
                ["clr_type"] = WireTypeNames.CSharpName(p.Type),
                ["required"] = p.IsRequired,
                ["nullable"] = p.IsNullable,
                ["description"] = p.Description,
            };
            if (!p.IsRequired)
                parameter["default"] = p.DefaultValue;
            return parameter;
        }).ToList(),
        ["returns"] = WireTypeNames.ForClrType(ReturnType),
        ["clr_returns"] = WireTypeNames.CSharpName(ReturnType),
    };
}
