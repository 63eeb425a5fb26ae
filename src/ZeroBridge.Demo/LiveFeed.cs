using Microsoft.Extensions.Hosting;
using ZeroBridge.Streams;

namespace ZeroBridge.Demo;

/// <summary>A price tick of the demo's live feed (topic <c>prices.SYMBOL</c>).</summary>
public sealed record Tick(string Symbol, decimal Price, decimal Bid, decimal Ask, int Volume, DateTime Time);

/// <summary>A new order of the demo's live feed (topic <c>orders.new</c>).</summary>
public sealed record NewOrder(int Id, int CustomerId, string CustomerName, string City, decimal Total, int Lines, DateTime OrderedAt);

/// <summary>
/// The demo's live stream: a price ticker for a few symbols (<c>prices.*</c>, about <see cref="TicksPerSecond"/> ticks a
/// second in all) and new orders (<c>orders.new</c>, about one a second), published on a <see cref="ZeroBridgePublisher"/>.
/// </summary>
public sealed class LiveFeed(ZeroBridgePublisher publisher, SampleDatabase database) : BackgroundService
{
    /// <summary>The symbols of the ticker.</summary>
    public static readonly string[] Symbols = ["ACME", "GLOBEX", "INITECH", "UMBRELLA"];

    /// <summary>Ticks per second, all symbols together.</summary>
    public int TicksPerSecond { get; init; } = 10;

    /// <summary>The longest wait between two wake-ups; faster rates publish several ticks per wake-up.</summary>
    private static readonly TimeSpan MaxWakeInterval = TimeSpan.FromMilliseconds(10);

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (TicksPerSecond < 1)
            throw new ArgumentOutOfRangeException(nameof(TicksPerSecond), TicksPerSecond, "The feed needs at least one tick a second.");
        var random = new Random(7);
        var prices = Symbols.ToDictionary(s => s, s => 50m + s.Length * 10);
        var customers = new CustomersService(database);
        int nextOrder = SampleDatabase.OrderCount + 1;
        double orderChance = 1.0 / TicksPerSecond; // about one order a second
        // A timer cannot wake more than about a thousand times a second, so the feed publishes by the clock: at each
        // wake-up, every tick that is due by now at the configured rate.
        var interval = TimeSpan.FromSeconds(1.0 / TicksPerSecond);
        using var timer = new PeriodicTimer(interval < MaxWakeInterval ? MaxWakeInterval : interval);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long tick = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            long due = (long)(clock.Elapsed.TotalSeconds * TicksPerSecond);
            for (; tick < due && !stoppingToken.IsCancellationRequested; tick++)
            {
                string symbol = Symbols[tick % Symbols.Length];
                decimal price = Math.Max(1m, Math.Round(prices[symbol] * (1m + (decimal)(random.NextDouble() - 0.5) / 100m), 2));
                prices[symbol] = price;
                publisher.Publish($"prices.{symbol}", new Tick(symbol, price, price - 0.01m, price + 0.01m, random.Next(1, 500), DateTime.UtcNow));
                if (random.NextDouble() < orderChance)
                {
                    var customer = customers.Get(random.Next(1, SampleDatabase.CustomerCount + 1));
                    publisher.Publish("orders.new", new NewOrder(nextOrder++, customer.Id, customer.Name, customer.City,
                        Math.Round((decimal)(random.NextDouble() * 900 + 20), 2), random.Next(1, 6), DateTime.UtcNow));
                }
            }
        }
    }
}
