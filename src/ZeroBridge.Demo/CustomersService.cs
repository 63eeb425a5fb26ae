using Microsoft.Data.Sqlite;
using ZeroBridge.Commands;

namespace ZeroBridge.Demo;

/// <summary>The demo application's customer repository, exposed as the <c>customers.*</c> commands.</summary>
public sealed class CustomersService(SampleDatabase database)
{
    private const string Columns = "SELECT id, name, email, city, country, since, credit_limit_cents FROM customers";

    /// <summary>Customers whose name contains the given text (case-insensitive), by name.</summary>
    /// <param name="name">Part of the name, e.g. "hopper".</param>
    /// <param name="limit">At most this many customers.</param>
    public IReadOnlyList<Customer> Find(string name, int limit = 100)
    {
        using var connection = database.OpenReadOnly();
        using var command = connection.CreateCommand();
        command.CommandText = $"{Columns} WHERE name LIKE '%' || $name || '%' ESCAPE '\\' ORDER BY name, id LIMIT $limit";
        command.Parameters.AddWithValue("$name", name.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_"));
        command.Parameters.AddWithValue("$limit", limit);
        return Read(command);
    }

    /// <summary>One customer by id.</summary>
    /// <param name="id">The customer's id.</param>
    /// <exception cref="NotFoundException">No customer has that id.</exception>
    public Customer Get(int id)
    {
        using var connection = database.OpenReadOnly();
        using var command = connection.CreateCommand();
        command.CommandText = $"{Columns} WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return Read(command).SingleOrDefault() ?? throw new NotFoundException($"There is no customer {id}.");
    }

    private static List<Customer> Read(SqliteCommand command)
    {
        var customers = new List<Customer>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            customers.Add(new Customer(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), SampleDatabase.ParseIso(reader.GetString(5)), reader.GetInt64(6) / 100m));
        }
        return customers;
    }
}
