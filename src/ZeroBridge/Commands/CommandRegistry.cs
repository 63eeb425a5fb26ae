using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace ZeroBridge.Commands;

/// <summary>
/// The commands an application offers. One registry serves every route: a direct server, a broker worker, the
/// JSON gateway. Register plain methods or lambdas; names, parameters, defaults and descriptions come from the
/// method itself.
/// </summary>
/// <example>
/// <code>
/// var commands = new CommandRegistry()
///     .Add("add", (int a, int b) => a + b, "Adds two numbers.")
///     .AddObject("orders", new OrdersService(db));   // orders.recent, orders.get, ...
/// </code>
/// </example>
public sealed class CommandRegistry
{
    private readonly ConcurrentDictionary<string, CommandDescriptor> _commands = new(StringComparer.Ordinal);
    private readonly Func<Type, bool>? _isService;
    private readonly ConcurrentDictionary<Type, string> _errorCodes = new();
    private readonly object _filtersLock = new();
    private volatile ICommandFilter[] _filters = []; // copied on write: requests read it without a lock

    /// <summary>A registry whose commands get nothing from a dependency-injection container.</summary>
    public CommandRegistry()
    {
    }

    /// <summary>
    /// A registry whose commands run in a dependency-injection scope of their own per request (as ASP.NET Core
    /// requests do): parameters of a type the container knows are resolved from it, <see cref="AddObject{T}"/>
    /// resolves its object per request, and <see cref="CommandContext.Services"/> is the scope. <c>AddZeroBridge</c>
    /// creates its registry this way.
    /// </summary>
    /// <param name="services">The application's root service provider.</param>
    public CommandRegistry(IServiceProvider services)
    {
        Services = services;
        var known = services.GetService<IServiceProviderIsService>();
        if (known is not null)
            _isService = type => type != typeof(string) && !type.IsPrimitive && known.IsService(type);
    }

    /// <summary>The root service provider requests take their scopes from, or null.</summary>
    public IServiceProvider? Services { get; }

    /// <summary>Registers a delegate (a lambda or a method group) as a command.</summary>
    /// <param name="name">The command name, e.g. <c>orders.recent</c>.</param>
    /// <param name="handler">The code to run. Its parameters become the command's; it may return a task.</param>
    /// <param name="description">What it does; by default taken from <c>[Description]</c> or the XML docs.</param>
    /// <exception cref="ArgumentException">The name is taken or not a valid command name.</exception>
    public CommandRegistry Add(string name, Delegate handler, string? description = null) =>
        Add(new CommandDescriptor(ValidName(name), handler.Method, handler.Target, description, isService: _isService));

    /// <summary>Registers one method of an object (or a static method, with a null target) as a command.</summary>
    public CommandRegistry AddMethod(string name, MethodInfo method, object? target, string? description = null) =>
        Add(new CommandDescriptor(ValidName(name), method, target, description, isService: _isService));

    /// <summary>
    /// Registers the public methods of <typeparamref name="T"/> like <see cref="AddObject(string, object)"/>, with the
    /// object resolved from each request's scope: a scoped service (one holding an EF Core <c>DbContext</c>) gets a
    /// fresh instance per request, and a type the container does not know is created with its constructor's services.
    /// </summary>
    /// <exception cref="InvalidOperationException">The registry was created without a service provider.</exception>
    public CommandRegistry AddObject<T>(string prefix) where T : class
    {
        if (Services is null)
            throw new InvalidOperationException($"AddObject<{typeof(T).Name}> resolves its object per request: create the registry with a service provider (AddZeroBridge does).");
        return AddMethods(prefix, typeof(T), (method, name) => Add(new CommandDescriptor(ValidName(name), method, null, null,
            targetFactory: services => ActivatorUtilities.GetServiceOrCreateInstance<T>(services), isService: _isService)));
    }

    /// <summary>
    /// Registers every public instance method an object's class declares, as <c>prefix.method_name</c>
    /// (snake_case; <see cref="CommandAttribute"/> renames one, <see cref="IgnoreCommandAttribute"/> leaves one out).
    /// </summary>
    public CommandRegistry AddObject(string prefix, object instance) =>
        AddMethods(prefix, instance.GetType(), (method, name) => AddMethod(name, method, instance));

    private CommandRegistry AddMethods(string prefix, Type type, Action<MethodInfo, string> add)
    {
        var methods = type
            .GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName && !m.IsDefined(typeof(IgnoreCommandAttribute)) && !m.ContainsGenericParameters);
        foreach (var method in methods)
        {
            string name = method.GetCustomAttribute<CommandAttribute>()?.Name ?? CommandNames.FromMethodName(method.Name);
            add(method, string.IsNullOrEmpty(prefix) ? name : $"{prefix}.{name}");
        }
        return this;
    }

    /// <summary>
    /// Marks registered commands as safe to run twice, like <see cref="IdempotentAttribute"/> does
    /// (a broker retries them on another worker when their worker is lost).
    /// </summary>
    /// <exception cref="UnknownCommandException">A name is not registered.</exception>
    public CommandRegistry MarkIdempotent(params string[] names)
    {
        foreach (var name in names)
            Get(name).MarkIdempotent();
        return this;
    }

    /// <summary>
    /// Makes commands that throw <typeparamref name="TException"/> (or a subclass, unless a closer mapping exists)
    /// answer with <paramref name="code"/> instead of <c>command_failed</c>, on every route: e.g.
    /// <c>MapException&lt;KeyNotFoundException&gt;(ErrorCodes.NotFound)</c>. Without a mapping, a
    /// <see cref="CommandException"/> carries its own code and an <see cref="ArgumentException"/> is <c>invalid_argument</c>.
    /// </summary>
    /// <param name="code">The error code callers see: one of <see cref="Protocol.ErrorCodes"/> or the application's own.</param>
    public CommandRegistry MapException<TException>(string code) where TException : Exception
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        _errorCodes[typeof(TException)] = code;
        return this;
    }

    /// <summary>
    /// Adds a filter that runs around every command of this registry, after the filters added before it
    /// (see <see cref="ICommandFilter"/>). Filters registered in the container run inside these.
    /// </summary>
    public CommandRegistry AddFilter(ICommandFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        lock (_filtersLock)
            _filters = [.. _filters, filter];
        return this;
    }

    /// <summary>The filters added with <see cref="AddFilter"/>, outermost first.</summary>
    internal IReadOnlyList<ICommandFilter> Filters => _filters;

    /// <summary>The code mapped for the exception's type or its closest mapped base type, or null.</summary>
    internal string? ErrorCodeFor(Exception exception)
    {
        if (_errorCodes.IsEmpty)
            return null;
        for (var type = exception.GetType(); type is not null; type = type.BaseType)
            if (_errorCodes.TryGetValue(type, out var code))
                return code;
        return null;
    }

    /// <summary>Removes a command; returns whether it was there.</summary>
    public bool Remove(string name) => _commands.TryRemove(name, out _);

    /// <summary>Finds a command by name.</summary>
    public bool TryGet(string name, out CommandDescriptor command) => _commands.TryGetValue(name, out command!);

    /// <summary>Every registered command, sorted by name.</summary>
    public IReadOnlyList<CommandDescriptor> All => _commands.Values.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();

    /// <summary>Finds a command, or throws the error a caller should see, with close names suggested.</summary>
    /// <exception cref="UnknownCommandException">No command has that name.</exception>
    public CommandDescriptor Get(string name) => TryGet(name, out var command)
        ? command
        : throw new UnknownCommandException(name, CommandNames.Suggest(name, _commands.Keys));

    private CommandRegistry Add(CommandDescriptor command)
    {
        if (!_commands.TryAdd(command.Name, command))
            throw new ArgumentException($"A command named '{command.Name}' is already registered.", nameof(command));
        return this;
    }

    private static string ValidName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Any(char.IsWhiteSpace) || name.StartsWith('.') || name.EndsWith('.'))
            throw new ArgumentException($"'{name}' is not a valid command name: use dotted words such as 'orders.recent'.", nameof(name));
        return name;
    }
}
