using ZeroBridge.Serialization;

namespace ZeroBridge.Demo;

/// <summary>
/// What C# scripts sent to the demo see (with <c>--allow-scripts</c>): the application's database and services.
/// A script reads them as globals, e.g. <c>Orders.Recent(5).Sum(o =&gt; o.Total)</c>.
/// </summary>
public sealed class DemoScriptGlobals(SampleDatabase database)
{
    /// <summary>The SQLite database (open connections with <c>Database.OpenReadOnly()</c>).</summary>
    public SampleDatabase Database { get; } = database;

    /// <summary>The order repository.</summary>
    public OrdersService Orders { get; } = new(database);

    /// <summary>The customer repository.</summary>
    public CustomersService Customers { get; } = new(database);

    /// <summary>Read-only SQL returning a table.</summary>
    public SqlService Sql { get; } = new(database);

    /// <summary>Turns any sequence of records into a table (a DataFrame in Python).</summary>
    public TableData Table<T>(IEnumerable<T> rows) => TableData.FromRecords(rows);
}
