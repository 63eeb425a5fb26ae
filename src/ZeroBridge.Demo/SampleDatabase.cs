using Microsoft.Data.Sqlite;

namespace ZeroBridge.Demo;

/// <summary>
/// The demo's embedded SQLite database: a small business (customers, products, orders, order lines), generated
/// deterministically on first use so every run and every machine sees the same rows.
/// </summary>
public sealed class SampleDatabase
{
    /// <summary>How many customers the generator writes.</summary>
    public const int CustomerCount = 2_000;
    /// <summary>How many products the generator writes.</summary>
    public const int ProductCount = 150;
    /// <summary>How many orders the generator writes.</summary>
    public const int OrderCount = 40_000;

    private const int SchemaVersion = 1;

    private SampleDatabase(string path) => Path = path;

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The default file: <c>zerobridge/demo-v1.db</c> under the user's local application data folder.</summary>
    public static string DefaultPath => System.IO.Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
        "zerobridge", $"demo-v{SchemaVersion}.db");

    /// <summary>Opens the database at <paramref name="path"/>, generating it first if the file does not exist.</summary>
    public static SampleDatabase OpenOrCreate(string? path = null)
    {
        path = System.IO.Path.GetFullPath(path ?? DefaultPath);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            // Generate beside it and rename, so a second process starting at the same time never sees half a file.
            string temporary = $"{path}.{Environment.ProcessId}.tmp";
            try
            {
                Generate(temporary);
            }
            catch
            {
                SqliteConnection.ClearAllPools();
                File.Delete(temporary);
                throw;
            }
            SqliteConnection.ClearAllPools();
            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary); // another process won the race with an identical file
            }
        }
        return new SampleDatabase(path);
    }

    /// <summary>Opens a connection that may read and write.</summary>
    public SqliteConnection Open() => Open(SqliteOpenMode.ReadWrite);

    /// <summary>Opens a connection that SQLite itself refuses to write through.</summary>
    /// <param name="pooled">False for a connection that must not be handed to the next caller afterwards (one that
    /// carries per-call state such as <c>sql.query</c>'s guard).</param>
    public SqliteConnection OpenReadOnly(bool pooled = true) => Open(SqliteOpenMode.ReadOnly, pooled);

    private SqliteConnection Open(SqliteOpenMode mode, bool pooled = true)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Mode = mode, Pooling = pooled }.ToString());
        connection.Open();
        return connection;
    }

    private static void Generate(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        connection.Open();
        using var transaction = connection.BeginTransaction();
        Execute(connection, """
            CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, city TEXT NOT NULL,
                                    country TEXT NOT NULL, since TEXT NOT NULL, credit_limit_cents INTEGER NOT NULL);
            CREATE TABLE products  (id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL, unit_price_cents INTEGER NOT NULL);
            CREATE TABLE orders    (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
                                    ordered_at TEXT NOT NULL, status TEXT NOT NULL, total_cents INTEGER NOT NULL);
            CREATE TABLE order_lines (order_id INTEGER NOT NULL REFERENCES orders(id), product_id INTEGER NOT NULL REFERENCES products(id),
                                      quantity INTEGER NOT NULL, unit_price_cents INTEGER NOT NULL);
            CREATE INDEX order_lines_by_order ON order_lines(order_id);
            CREATE INDEX orders_by_customer ON orders(customer_id);
            CREATE INDEX orders_by_date ON orders(ordered_at);
            """);

        var random = new Random(20240101);
        string[] first = ["Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger",
                          "Radia", "Bjarne", "Hedy", "Guido", "Sophie", "Anders", "Katherine", "John", "Mary", "Tim"];
        string[] last = ["Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen",
                         "Dijkstra", "Perlman", "Stroustrup", "Lamarr", "van Rossum", "Wilson", "Hejlsberg", "Johnson", "Backus", "Kenyon", "Berners-Lee"];
        (string City, string Country)[] places = [("London", "UK"), ("Paris", "France"), ("Berlin", "Germany"), ("Zürich", "Switzerland"),
            ("New York", "USA"), ("São Paulo", "Brazil"), ("Tokyo", "Japan"), ("Oslo", "Norway"), ("Kraków", "Poland"), ("Toronto", "Canada")];
        string[] categories = ["Hardware", "Software", "Books", "Office", "Networking"];
        string[] nouns = ["Widget", "Gadget", "Cable", "Adapter", "Monitor", "Keyboard", "Manual", "License", "Router", "Desk"];
        string[] adjectives = ["Basic", "Pro", "Ultra", "Compact", "Deluxe"];
        var epoch = new DateTime(2023, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        using (var insert = Prepare(connection, "INSERT INTO customers VALUES ($1, $2, $3, $4, $5, $6, $7)"))
        {
            for (int id = 1; id <= CustomerCount; id++)
            {
                string name = $"{first[random.Next(first.Length)]} {last[random.Next(last.Length)]}";
                var place = places[random.Next(places.Length)];
                Run(insert, id, name, $"{name.ToLowerInvariant().Replace(' ', '.')}{id}@example.com", place.City, place.Country,
                    Iso(epoch.AddDays(-random.Next(0, 2000))), random.Next(10, 500) * 10_000L);
            }
        }

        var prices = new long[ProductCount + 1];
        using (var insert = Prepare(connection, "INSERT INTO products VALUES ($1, $2, $3, $4)"))
        {
            for (int id = 1; id <= ProductCount; id++)
            {
                prices[id] = random.Next(199, 250_000);
                Run(insert, id, $"{adjectives[random.Next(adjectives.Length)]} {nouns[random.Next(nouns.Length)]} {id}",
                    categories[random.Next(categories.Length)], prices[id]);
            }
        }

        using (var order = Prepare(connection, "INSERT INTO orders VALUES ($1, $2, $3, $4, $5)"))
        using (var line = Prepare(connection, "INSERT INTO order_lines VALUES ($1, $2, $3, $4)"))
        {
            var statuses = Enum.GetValues<OrderStatus>();
            for (int id = 1; id <= OrderCount; id++)
            {
                // Orders are spread over two years in id order, so "recent" means highest id as well as latest time.
                var orderedAt = epoch.AddSeconds(id * (2 * 365 * 86400.0 / OrderCount) + random.Next(0, 600));
                var lines = Enumerable.Range(0, random.Next(1, 5))
                    .Select(_ => (Product: random.Next(1, ProductCount + 1), Quantity: random.Next(1, 10)))
                    .ToList();
                long total = lines.Sum(l => l.Quantity * prices[l.Product]);
                Run(order, id, random.Next(1, CustomerCount + 1), Iso(orderedAt), statuses[random.Next(statuses.Length)].ToString(), total);
                foreach (var (product, quantity) in lines)
                    Run(line, id, product, quantity, prices[product]);
            }
        }
        transaction.Commit();
    }

    /// <summary>Dates are stored as ISO 8601 text, the SQLite convention, always in UTC.</summary>
    internal static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    internal static DateTime ParseIso(string text) => DateTime.Parse(text, System.Globalization.CultureInfo.InvariantCulture,
        System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        int count = sql.Count(c => c == '$');
        for (int i = 1; i <= count; i++)
            command.Parameters.Add(new SqliteParameter($"${i}", null));
        command.Prepare();
        return command;
    }

    private static void Run(SqliteCommand command, params object[] values)
    {
        for (int i = 0; i < values.Length; i++)
            command.Parameters[i].Value = values[i];
        command.ExecuteNonQuery();
    }
}
