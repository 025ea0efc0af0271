namespace Disco.Geo.Server.Storage;

/// <summary>SQLite primary result codes the server reacts to (https://sqlite.org/rescode.html).</summary>
internal static class SqliteErrors
{
    /// <summary>SQLITE_CONSTRAINT: a UNIQUE, PRIMARY KEY or CHECK constraint refused the write.</summary>
    public const int Constraint = 19;
}
