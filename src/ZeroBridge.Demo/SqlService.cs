using Microsoft.Data.Sqlite;
using ZeroBridge.Commands;
using ZeroBridge.Serialization;

namespace ZeroBridge.Demo;

/// <summary>Read-only SQL over the demo database, exposed as <c>sql.query</c>.</summary>
public sealed class SqlService(SampleDatabase database)
{
    private const int SqliteReadOnly = 8;   // SQLITE_READONLY
    private const int SqliteAuth = 23;      // SQLITE_AUTH

    /// <summary>
    /// Runs one read-only SQL statement and returns its rows as a table. Statements that write are refused.
    /// Tables: customers, products, orders, order_lines (money in integer cents, dates as ISO 8601 text).
    /// </summary>
    /// <param name="text">The SQL, e.g. "SELECT status, COUNT(*) AS n FROM orders GROUP BY status".</param>
    /// <exception cref="PermissionDeniedException">The statement would write.</exception>
    public TableData Query(string text)
    {
        using var connection = database.OpenReadOnly();
        using (var guard = connection.CreateCommand())
        {
            // The read-only connection already refuses writes; query_only also refuses them on attached files.
            guard.CommandText = "PRAGMA query_only = ON";
            guard.ExecuteNonQuery();
        }
        using var command = connection.CreateCommand();
        command.CommandText = text;
        try
        {
            using var reader = command.ExecuteReader();
            return TableData.FromDataReader(reader);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteReadOnly or SqliteAuth
                                         || ex.Message.Contains("readonly", StringComparison.OrdinalIgnoreCase)
                                         || ex.Message.Contains("query_only", StringComparison.OrdinalIgnoreCase))
        {
            throw new PermissionDeniedException($"sql.query is read-only; the statement was refused ({ex.Message}).");
        }
    }
}
