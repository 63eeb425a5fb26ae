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
    private readonly Func<IServiceProvider, object>? _targetFactory;
    private readonly Func<object?, ValueTask<object?>> _awaitResult;

    /// <param name="name">The command name.</param>
    /// <param name="method">The method that runs.</param>
    /// <param name="target">The instance it runs on (null for a static method or with <paramref name="targetFactory"/>).</param>
    /// <param name="description">The description, or null to take it from the method.</param>
    /// <param name="targetFactory">Resolves the instance from each request's scope, for commands of a scoped service.</param>
    /// <param name="isService">Whether the container can supply a parameter of a type (its parameters are then services).</param>
    internal CommandDescriptor(string name, MethodInfo method, object? target, string? description,
        Func<IServiceProvider, object>? targetFactory = null, Func<Type, bool>? isService = null)
    {
        Name = name;
        Method = method;
        _target = target;
        _targetFactory = targetFactory;
        var docs = XmlDocumentation.For(method);
        Description = description ?? method.GetCustomAttribute<DescriptionAttribute>()?.Description ?? docs.Summary;
        Parameters = method.GetParameters()
            .Select(p => new CommandParameter(p,
                p.GetCustomAttribute<DescriptionAttribute>()?.Description ?? docs.Parameters.GetValueOrDefault(p.Name ?? ""),
                isService))
            .ToList();
        (ReturnType, _awaitResult) = ResultAwaiting.For(method.ReturnType);
        RequiresTrustedEndpoint = method.IsDefined(typeof(RequiresTrustedEndpointAttribute), inherit: true);
        IsNonBlocking = method.IsDefined(typeof(NonBlockingAttribute), inherit: true);
        IsInternal = method.IsDefined(typeof(InternalCommandAttribute), inherit: true);
    }

    /// <summary>
    /// Whether clients call the command on the user's behalf rather than the user directly
    /// (<see cref="InternalCommandAttribute"/>): described as <c>"internal": true</c>, so clients hide it.
    /// </summary>
    public bool IsInternal { get; }

    /// <summary>
    /// Whether the command is declared quick and never blocking (<see cref="NonBlockingAttribute"/>): the server may
    /// run it on its socket thread.
    /// </summary>
    public bool IsNonBlocking { get; }

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
    /// <param name="arguments">The bound values, one per parameter.</param>
    /// <param name="services">The request's scope, which supplies the instance of a command registered by type.</param>
    internal ValueTask<object?> InvokeAsync(object?[] arguments, IServiceProvider? services = null)
    {
        object? target = _targetFactory is null ? _target
            : _targetFactory(services ?? throw new InvalidOperationException(
                $"{Name} runs on a service resolved per request, but the registry has no service provider."));
        object? returned = Method.Invoke(target, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
        return _awaitResult(returned);
    }

    /// <summary>The description sent by the built-in <c>commands</c> command (docs/protocol.md §5).</summary>
    internal Dictionary<string, object?> Describe()
    {
        var description = new Dictionary<string, object?>
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
        if (IsInternal)
            description["internal"] = true; // only when set, so every other description reads as it always did
        return description;
    }
}
