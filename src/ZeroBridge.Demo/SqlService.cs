using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using ZeroBridge.Commands;

namespace ZeroBridge.Demo;

/// <summary>Read-only SQL over the demo database, exposed as <c>sql.query</c>.</summary>
public sealed class SqlService(SampleDatabase database)
{
    private const int SqliteReadOnly = 8;   // SQLITE_READONLY
    private const int SqliteAuth = 23;      // SQLITE_AUTH

    /// <summary>
    /// Runs one read-only SQL statement and returns its rows as a table, streamed from the database reader (large
    /// results travel in chunks). Statements that write are refused. Tables: customers, products, orders,
    /// order_lines (money in integer cents, dates as ISO 8601 text).
    /// </summary>
    /// <param name="text">The SQL, e.g. "SELECT status, COUNT(*) AS n FROM orders GROUP BY status".</param>
    /// <exception cref="PermissionDeniedException">The statement would write.</exception>
    /// <remarks>
    /// SQLite types each value, not each column: a result larger than one chunk (64 MiB by default) keeps the column
    /// types of its first chunk, and a later value of another type fails the call with the column's name rather than
    /// being converted. CAST the column in the query when its values mix types.
    /// </remarks>
    public DbDataReader Query(string text)
    {
        var connection = database.OpenReadOnly();
        try
        {
            using (var guard = connection.CreateCommand())
            {
                // The read-only connection already refuses writes; query_only also refuses them on attached files.
                guard.CommandText = "PRAGMA query_only = ON";
                guard.ExecuteNonQuery();
            }
            // Not disposed here: disposing a SQLite command closes its reader. The reader owns the command's connection
            // (CloseConnection), and ZeroBridge disposes the reader once its rows are sent, which releases both.
            var command = connection.CreateCommand();
            command.CommandText = text;
            return command.ExecuteReader(CommandBehavior.CloseConnection);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteReadOnly or SqliteAuth
                                         || ex.Message.Contains("readonly", StringComparison.OrdinalIgnoreCase)
                                         || ex.Message.Contains("query_only", StringComparison.OrdinalIgnoreCase))
        {
            connection.Dispose();
            throw new PermissionDeniedException($"sql.query is read-only; the statement was refused ({ex.Message}).");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
