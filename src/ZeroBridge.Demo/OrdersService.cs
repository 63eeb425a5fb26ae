using Microsoft.Data.Sqlite;
using ZeroBridge.Commands;

namespace ZeroBridge.Demo;

/// <summary>The demo application's order repository, exposed as the <c>orders.*</c> commands.</summary>
public sealed class OrdersService(SampleDatabase database)
{
    private const string OrderColumns = """
        SELECT o.id, o.customer_id, c.name, o.ordered_at, o.status, o.total_cents,
               (SELECT COUNT(*) FROM order_lines l WHERE l.order_id = o.id)
        FROM orders o JOIN customers c ON c.id = o.customer_id
        """;

    /// <summary>The most recent orders, newest first.</summary>
    /// <param name="n">How many orders to return (1 to 100000).</param>
    public IReadOnlyList<Order> Recent(int n = 10)
    {
        if (n is < 1 or > 100_000)
            throw new ArgumentOutOfRangeException(nameof(n), n, "n must be between 1 and 100000.");
        using var connection = database.OpenReadOnly();
        using var command = connection.CreateCommand();
        command.CommandText = $"{OrderColumns} ORDER BY o.ordered_at DESC, o.id DESC LIMIT $n";
        command.Parameters.AddWithValue("$n", n);
        return ReadOrders(command);
    }

    /// <summary>The orders of one customer, newest first.</summary>
    /// <param name="customerId">The customer's id.</param>
    public IReadOnlyList<Order> ByCustomer(int customerId)
    {
        using var connection = database.OpenReadOnly();
        using var command = connection.CreateCommand();
        command.CommandText = $"{OrderColumns} WHERE o.customer_id = $id ORDER BY o.ordered_at DESC";
        command.Parameters.AddWithValue("$id", customerId);
        return ReadOrders(command);
    }

    /// <summary>One order with its customer and lines.</summary>
    /// <param name="id">The order's id.</param>
    /// <exception cref="NotFoundException">No order has that id.</exception>
    public OrderDetails Get(int id)
    {
        using var connection = database.OpenReadOnly();
        using var command = connection.CreateCommand();
        command.CommandText = $"{OrderColumns} WHERE o.id = $id";
        command.Parameters.AddWithValue("$id", id);
        var order = ReadOrders(command).SingleOrDefault() ?? throw new NotFoundException($"There is no order {id}.");

        command.CommandText = """
            SELECT l.product_id, p.name, l.quantity, l.unit_price_cents
            FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = $id
            """;
        var lines = new List<OrderLine>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
                lines.Add(new OrderLine(reader.GetInt32(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3) / 100m));
        }
        var customer = new CustomersService(database).Get(order.CustomerId);
        return new OrderDetails(order.Id, customer, order.OrderedAt, order.Status, order.Total, lines);
    }

    private static List<Order> ReadOrders(SqliteCommand command)
    {
        var orders = new List<Order>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            orders.Add(new Order(reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2),
                SampleDatabase.ParseIso(reader.GetString(3)), Enum.Parse<OrderStatus>(reader.GetString(4)),
                reader.GetInt64(5) / 100m, reader.GetInt32(6)));
        }
        return orders;
    }
}
