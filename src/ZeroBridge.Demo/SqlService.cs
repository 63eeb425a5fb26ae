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
    /// <param name="cancellation">Cancelled when the caller gives up or its deadline passes: the statement is
    /// interrupted, also while its rows are being read.</param>
    /// <exception cref="PermissionDeniedException">The statement would do more than read (write, ATTACH, PRAGMA, ...).</exception>
    /// <remarks>
    /// SQLite types each value, not each column: a result larger than one chunk (64 MiB by default) keeps the column
    /// types of its first chunk, and a later value of another type fails the call with the column's name rather than
    /// being converted. CAST the column in the query when its values mix types.
    /// </remarks>
    public DbDataReader Query(string text, CancellationToken cancellation = default)
    {
        // Not pooled: a pooled connection would carry this call's guard (and its cancellation token) to the next one.
        var connection = database.OpenReadOnly(pooled: false);
        try
        {
            // The connection is opened read-only; the guard also refuses ATTACH, PRAGMA and VACUUM INTO, which a
            // read-only connection would still run, and interrupts the statement when the caller gives up.
            ReadOnlySqlGuard.Apply(connection, cancellation);
            // Not disposed here: disposing a SQLite command closes its reader. The reader owns the command's connection
            // (CloseConnection), and ZeroBridge disposes the reader once its rows are sent, which releases both.
            var command = connection.CreateCommand();
            command.CommandText = text;
            return command.ExecuteReader(CommandBehavior.CloseConnection);
        }
        catch (SqliteException ex) when (ReadOnlySqlGuard.WasInterrupted(ex) && cancellation.IsCancellationRequested)
        {
            connection.Dispose();
            throw new OperationCanceledException("sql.query was interrupted: the caller gave up or its deadline passed.", ex, cancellation);
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
