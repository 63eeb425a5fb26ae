using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

// Usage: TablesJsonApi  (prints "json <base url>", serves GET /sales?rows=N until stdin closes)
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.UseUrls("http://127.0.0.1:0");
var app = builder.Build();
app.MapGet("/sales", (int rows) => Results.Json(Sales.Make(rows)));
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine($"json {address}");
Console.Out.Flush();
await Console.In.ReadToEndAsync();
await app.StopAsync();

/// <summary>The benchmark's row (as in bench/TablesServer).</summary>
public sealed record Sale(long Id, double Amount, string Customer, DateTime At, int? Quantity);

/// <summary>The deterministic table every route sends.</summary>
public static class Sales
{
    private static readonly string[] Names = Enumerable.Range(0, 1000).Select(i => $"Customer {i:D3}").ToArray();

    private static readonly Dictionary<int, List<Sale>> Made = new();

    /// <summary>The rows, made once per size: the application already has its data; only moving it is measured.</summary>
    public static List<Sale> Make(int rows)
    {
        lock (Made)
        {
            if (!Made.TryGetValue(rows, out var made))
            {
                Made.Clear();
                made = Made[rows] = Create(rows);
            }
            return made;
        }
    }

    private static List<Sale> Create(int rows)
    {
        var start = new DateTime(2024, 1, 1);
        var list = new List<Sale>(rows);
        for (int i = 0; i < rows; i++)
            list.Add(new Sale(i, i * 0.25, Names[i % Names.Length], start.AddSeconds(i), i % 10 == 0 ? null : i % 500));
        return list;
    }
}
