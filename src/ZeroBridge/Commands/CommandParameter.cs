using System.Reflection;
using ZeroBridge.Serialization;

namespace ZeroBridge.Commands;

/// <summary>How a parameter of a command method gets its value.</summary>
public enum ParameterSource
{
    /// <summary>From the caller's arguments.</summary>
    Argument,
    /// <summary>The request's <see cref="CancellationToken"/>, cancelled when the caller gives up.</summary>
    CancellationToken,
    /// <summary>The request's <see cref="Commands.CommandContext"/>.</summary>
    Context,
    /// <summary>
    /// A service from the request's dependency-injection scope: a parameter marked <c>[FromServices]</c> or
    /// <c>[FromKeyedServices]</c>, or whose type the container knows (as minimal APIs infer it).
    /// </summary>
    Service,
}

/// <summary>One parameter of a command, as the method declares it.</summary>
public sealed class CommandParameter
{
    internal CommandParameter(ParameterInfo parameter, string? description, Func<Type, bool>? isService = null)
    {
        Name = parameter.Name ?? $"arg{parameter.Position}";
        Type = parameter.ParameterType;
        ServiceKey = parameter.GetCustomAttribute<Microsoft.Extensions.DependencyInjection.FromKeyedServicesAttribute>()?.Key;
        Source = Type == typeof(CancellationToken) ? ParameterSource.CancellationToken
            : Type == typeof(CommandContext) ? ParameterSource.Context
            : ServiceKey is not null || parameter.IsDefined(typeof(FromServicesAttribute)) ? ParameterSource.Service
            : isService?.Invoke(Type) == true ? ParameterSource.Service
            : ParameterSource.Argument;
        IsRequired = !parameter.HasDefaultValue && !parameter.IsOptional;
        DefaultValue = parameter.HasDefaultValue ? parameter.DefaultValue : null;
        // Value types are nullable only as Nullable<T>; reference types as their nullable annotation says
        // (unannotated code, where the state is unknown, counts as nullable).
        IsNullable = Type.IsValueType
            ? Nullable.GetUnderlyingType(Type) is not null
            : new NullabilityInfoContext().Create(parameter).WriteState != NullabilityState.NotNull;
        Description = description;
    }

    /// <summary>The parameter's name, which callers use for keyword arguments.</summary>
    public string Name { get; }

    /// <summary>The declared .NET type.</summary>
    public Type Type { get; }

    /// <summary>Where the value comes from.</summary>
    public ParameterSource Source { get; }

    /// <summary>The key of a keyed service (<c>[FromKeyedServices(key)]</c>), or null.</summary>
    public object? ServiceKey { get; }

    /// <summary>Whether the caller must pass it.</summary>
    public bool IsRequired { get; }

    /// <summary>The default value when the caller does not pass it.</summary>
    public object? DefaultValue { get; }

    /// <summary>Whether the parameter accepts null.</summary>
    public bool IsNullable { get; }

    /// <summary>The parameter's description, from <c>[Description]</c> or the XML documentation.</summary>
    public string? Description { get; }

    /// <summary>The Python type name a caller passes, e.g. <c>int</c>.</summary>
    public string WireTypeName => WireTypeNames.ForClrType(Type);
}
