using System.Runtime.InteropServices;
using System.Text;
using NetMQ;
using NetMQ.Sockets;
using ZeroBridge.Commands;
using ZeroBridge.Server;

// Usage: TablesServer  (prints "zerobridge <endpoint>" and "floor <endpoint>", serves until stdin closes)
var commands = new CommandRegistry()
    .Add("bench.columnar", (int rows) => Sales.Make(rows))
    .Add("bench.columnar_distinct", (int rows) => Sales.Distinct(rows))
    .Add("bench.columnar_numeric", (int rows) => Sales.Numeric(rows))
    .Add("bench.arrays_numeric", (int rows) => Sales.Arrays(rows))
    .Add("bench.rows", (int rows) => Sales.Make(rows).Select(s => new object?[] { s.Id, s.Amount, s.Customer, s.At, s.Quantity }).ToList());
await using var server = new ZeroBridgeServer(commands, ZeroBridgeServerOptions.Default with { Endpoint = "tcp://127.0.0.1:*" });
await server.StartAsync();

// The floor: a plain ROUTER that answers "<copy> <size> <size> ..." with raw frames of exactly those sizes (the sizes of
// a ZeroBridge reply, measured by the client: the floor moves the same bytes in the same frames), prepared in advance
// (no serialization at all). copy=0 hands the arrays to the socket (Msg.InitGC, as the ZeroBridge server sends);
// copy=1 sends with SendMultipartMessage, which copies each frame first, as most NetMQ code does.
using var router = new RouterSocket();
int port = router.BindRandomPort("tcp://127.0.0.1");
var floorThread = new Thread(() =>
{
    var cache = new Dictionary<string, byte[][]>(); // every size set kept: the rounds alternate between them
    while (true)
    {
        var request = router.ReceiveMultipartMessage();
        var fields = request.Last.ConvertToString().Split(' ');
        string key = string.Join(' ', fields.Skip(1));
        if (!cache.TryGetValue(key, out var frames))
        {
            frames = cache[key] = fields.Skip(1).Select(long.Parse)
                .Select(n => { var b = new byte[n]; Random.Shared.NextBytes(b); return b; }).ToArray();
        }
        if (fields[0] == "1")
        {
            var copied = new NetMQMessage();
            copied.Append(request.First);
            copied.AppendEmptyFrame();
            foreach (var frame in frames)
                copied.Append(frame);
            router.SendMultipartMessage(copied);
            continue;
        }
        var reply = new List<byte[]> { request.First.ToByteArray(), Array.Empty<byte>() };
        reply.AddRange(frames);
        for (int i = 0; i < reply.Count; i++)
        {
            var msg = new Msg();
            msg.InitGC(reply[i], reply[i].Length);
            router.Send(ref msg, more: i < reply.Count - 1);
            msg.Close();
        }
    }
}) { IsBackground = true };
floorThread.Start();

Console.WriteLine($"zerobridge {server.Endpoint}");
Console.WriteLine($"floor tcp://127.0.0.1:{port}");
Console.Out.Flush();
await Console.In.ReadToEndAsync();

/// <summary>The benchmark's row: int64 id, float64 amount, a ~12-character customer name, a timestamp, a nullable int32.</summary>
public sealed record Sale(long Id, double Amount, string Customer, DateTime At, int? Quantity);

/// <summary>The same row without its string column.</summary>
public sealed record NumericSale(long Id, double Amount, DateTime At, int? Quantity);

/// <summary>The deterministic table every route sends.</summary>
public static class Sales
{
    private static readonly string[] Names = Enumerable.Range(0, 1000).Select(i => $"Customer {i:D3}").ToArray(); // 12 chars

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

    private static (int Rows, List<NumericSale> Sales)? _numeric;
    private static (int Rows, List<Sale> Sales)? _distinct;

    /// <summary>The same rows without their string column, made once per size.</summary>
    public static List<NumericSale> Numeric(int rows)
    {
        if (_numeric is not { } cached || cached.Rows != rows)
            _numeric = cached = (rows, Make(rows).Select(s => new NumericSale(s.Id, s.Amount, s.At, s.Quantity)).ToList());
        return cached.Sales;
    }

    /// <summary>The same rows with a different 12-character name in every row (no repeats), made once per size.</summary>
    public static List<Sale> Distinct(int rows)
    {
        if (_distinct is not { } cached || cached.Rows != rows)
            _distinct = cached = (rows, Make(rows).Select(s => s with { Customer = $"Cust {s.Id:D7}" }).ToList());
        return cached.Sales;
    }

    private static (int Rows, ZeroBridge.Serialization.TableData Table)? _arrays;

    /// <summary>The numeric and datetime columns as arrays the application already holds (TableBuilder).</summary>
    public static ZeroBridge.Serialization.TableData Arrays(int rows)
    {
        if (_arrays is { } cached && cached.Rows == rows)
            return cached.Table;
        var sales = Make(rows);
        var table = new ZeroBridge.Serialization.TableBuilder()
            .Add("Id", sales.Select(s => s.Id).ToArray())
            .Add("Amount", sales.Select(s => s.Amount).ToArray())
            .Add("At", sales.Select(s => s.At).ToArray())
            .Add("Quantity", sales.Select(s => s.Quantity).ToArray())
            .Build();
        _arrays = (rows, table);
        return table;
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
