namespace ZeroBridge.Commands;

/// <summary>
/// Names a method as a command when its object is registered with
/// <see cref="CommandRegistry.AddObject(string, object)"/>, overriding the name derived from the method name.
/// Optional: every public method of a registered object is a command unless marked <see cref="IgnoreCommandAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CommandAttribute : Attribute
{
    /// <summary>Marks a method as a command with the default name.</summary>
    public CommandAttribute() { }

    /// <summary>Marks a method as a command with the given name (without the object's prefix).</summary>
    public CommandAttribute(string name) => Name = name;

    /// <summary>The command name, without the prefix; null to derive it from the method name.</summary>
    public string? Name { get; }
}

/// <summary>Keeps a public method of a registered object from becoming a command.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class IgnoreCommandAttribute : Attribute;
