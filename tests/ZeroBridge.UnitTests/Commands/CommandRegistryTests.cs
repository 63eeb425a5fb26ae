using System.ComponentModel;
using ZeroBridge.Commands;
using ZeroBridge.Demo;

namespace ZeroBridge.UnitTests.Commands;

public class CommandRegistryTests
{
    private sealed class Inventory
    {
        public int CountItems(string shelf, int minimum = 3) => minimum;
        public Task<string> LoadAsync(CancellationToken cancellationToken) => Task.FromResult("x");
        [Command("custom")] public int Renamed() => 1;
        [IgnoreCommand] public int Hidden() => 1;
    }

    [Fact]
    public void Object_methods_become_snake_case_commands_under_a_prefix()
    {
        var registry = new CommandRegistry().AddObject("inv", new Inventory());
        Assert.Equal(["inv.count_items", "inv.custom", "inv.load"], registry.All.Select(c => c.Name));
    }

    [Fact]
    public void Parameters_defaults_and_injected_tokens_come_from_the_method()
    {
        var registry = new CommandRegistry().AddObject("inv", new Inventory());
        var count = registry.Get("inv.count_items");
        Assert.Equal(["shelf", "minimum"], count.Arguments.Select(p => p.Name));
        Assert.True(count.Arguments.First().IsRequired);
        Assert.Equal(3, count.Arguments.Last().DefaultValue);
        var load = registry.Get("inv.load");
        Assert.Empty(load.Arguments);
        Assert.Equal(typeof(string), load.ReturnType);
    }

    [Fact]
    public void Lambda_descriptions_and_defaults_are_read()
    {
        var registry = new CommandRegistry().Add("add", [Description("Adds.")] (int a, int b = 2) => a + b);
        var add = registry.Get("add");
        Assert.Equal("Adds.", add.Description);
        Assert.False(add.Arguments.Last().IsRequired);
    }

    [Fact]
    public void Internal_commands_say_so_in_their_description_and_others_do_not_carry_the_key()
    {
        var registry = new CommandRegistry()
            .Add("jobs.poll", [InternalCommand] (string cursor) => cursor)
            .Add("jobs.start", (string name) => name);
        Assert.True(registry.Get("jobs.poll").IsInternal);
        Assert.Equal(true, registry.Get("jobs.poll").Describe()["internal"]);
        Assert.False(registry.Get("jobs.start").Describe().ContainsKey("internal"));
    }

    [Fact]
    public void Xml_documentation_describes_commands_and_parameters()
    {
        var registry = new CommandRegistry().AddObject("orders", new OrdersService(null!));
        var recent = registry.Get("orders.recent");
        Assert.Equal("The most recent orders, newest first.", recent.Description);
        Assert.StartsWith("How many orders", recent.Arguments.Single().Description);
        Assert.Equal("DataFrame", ZeroBridge.Serialization.WireTypeNames.ForClrType(recent.ReturnType));
    }

    [Fact]
    public void Unknown_command_names_it_and_suggests_close_names()
    {
        var registry = new CommandRegistry().AddObject("orders", new OrdersService(null!));
        var error = Assert.Throws<UnknownCommandException>(() => registry.Get("orders.recnt"));
        Assert.Contains("orders.recnt", error.Message);
        Assert.Equal("orders.recent", ((IReadOnlyList<string>)error.Details!["suggestions"]!)[0]);
    }

    [Fact]
    public void Duplicate_names_are_refused()
    {
        var registry = new CommandRegistry().Add("a", () => 1);
        Assert.Throws<ArgumentException>(() => registry.Add("a", () => 2));
        Assert.Throws<ArgumentException>(() => registry.Add("has space", () => 2));
    }
}
