namespace ZeroBridge.Commands;

/// <summary>
/// Marks a command parameter that is resolved from the request's dependency-injection scope rather than passed by
/// the caller. Needed only for types the container cannot be asked about; a parameter whose type is registered is a
/// service anyway, and <c>[FromKeyedServices(key)]</c> asks for a keyed one.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class FromServicesAttribute : Attribute;
