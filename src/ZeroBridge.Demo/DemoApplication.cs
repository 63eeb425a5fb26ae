using System.ComponentModel;
using ZeroBridge.Commands;

namespace ZeroBridge.Demo;

/// <summary>Wires the sample "legacy application" into a command registry: what <c>zbridge demo</c> serves.</summary>
public static class DemoApplication
{
    /// <summary>Registers the demo's commands: <c>echo</c>, <c>orders.*</c>, <c>customers.*</c>, <c>sql.query</c>.</summary>
    public static CommandRegistry AddDemoCommands(this CommandRegistry commands, SampleDatabase database) => commands
        .Add("echo", [NonBlocking, Description("Returns its argument unchanged: the round trip of any value.")] (object? value) => value)
        .AddObject("orders", new OrdersService(database))
        .AddObject("customers", new CustomersService(database))
        .AddObject("sql", new SqlService(database));
}
