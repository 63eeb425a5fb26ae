using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ZeroBridge.Demo;

/// <summary>
/// Makes one SQLite connection safe for SQL written by a caller: only reading statements are compiled (an authorizer
/// refuses ATTACH, PRAGMA, VACUUM INTO and every write before it runs), sizes are bounded, and a running statement is
/// interrupted when the caller's request is cancelled or its deadline passes.
/// </summary>
/// <remarks>
/// SQLite's own mechanisms, not parsing: the authorizer (<c>sqlite3_set_authorizer</c>) is asked about every action
/// a statement would take while it is compiled, so no spelling of a forbidden statement gets through; the progress
/// handler (<c>sqlite3_progress_handler</c>) is called every few thousand virtual-machine steps, including while rows
/// are being read after the command returned its reader, which is when a runaway recursive query spends its time.
/// </remarks>
internal static class ReadOnlySqlGuard
{
    /// <summary>Virtual-machine steps between two looks at the cancellation token (a few microseconds of work).</summary>
    private const int ProgressInterval = 4096;

    /// <summary>The longest string or blob a query may build, and the longest SQL text it may send.</summary>
    private const int MaxValueBytes = 16 * 1024 * 1024;
    private const int MaxSqlBytes = 1024 * 1024;

    /// <summary>Installs the guard on an open connection; from then on the connection compiles only reads.</summary>
    public static void Apply(SqliteConnection connection, CancellationToken cancellation)
    {
        var db = connection.Handle!;
        raw.sqlite3_limit(db, raw.SQLITE_LIMIT_LENGTH, MaxValueBytes);
        raw.sqlite3_limit(db, raw.SQLITE_LIMIT_SQL_LENGTH, MaxSqlBytes);
        raw.sqlite3_limit(db, raw.SQLITE_LIMIT_ATTACHED, 0);
        raw.sqlite3_set_authorizer(db, Authorize, null);
        if (cancellation.CanBeCanceled)
            raw.sqlite3_progress_handler(db, ProgressInterval, _ => cancellation.IsCancellationRequested ? 1 : 0, null);
    }

    /// <summary>Whether SQLite reported that the guard's progress handler interrupted the statement.</summary>
    public static bool WasInterrupted(SqliteException exception) => exception.SqliteErrorCode == raw.SQLITE_INTERRUPT;

    /// <summary>Pragmas that only describe the schema, allowed when they set nothing (<c>PRAGMA table_info(orders)</c>).</summary>
    private static readonly HashSet<string> SchemaPragmas = new(StringComparer.OrdinalIgnoreCase)
    {
        "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list",
    };

    private static int Authorize(object userData, int action, utf8z first, utf8z second, utf8z database, utf8z trigger) =>
        action switch
        {
            raw.SQLITE_SELECT or raw.SQLITE_READ or raw.SQLITE_RECURSIVE => raw.SQLITE_OK,
            // Functions are pure computations in SQLite's build (loading extensions is off in Microsoft.Data.Sqlite).
            raw.SQLITE_FUNCTION => raw.SQLITE_OK,
            // For a pragma, the first argument is its name and the second its argument: `PRAGMA table_info(orders)`
            // passes "orders", so only the name decides; none of these pragmas can change anything.
            raw.SQLITE_PRAGMA when SchemaPragmas.Contains(first.utf8_to_string() ?? "") => raw.SQLITE_OK,
            _ => raw.SQLITE_DENY, // writes, schema changes, ATTACH/DETACH, other pragmas, transactions, VACUUM (INTO)
        };
}
