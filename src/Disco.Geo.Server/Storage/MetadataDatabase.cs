using Microsoft.Data.Sqlite;

namespace Disco.Geo.Server.Storage;

/// <summary>
/// The SQLite metadata database (disco.db). WAL mode with synchronous=NORMAL: a committed transaction survives a
/// killed process; after a power loss the last few transactions may roll back, never half-apply.
/// Each record keeps its full stored message (Records/records.proto, the storage-owned schema) in a <c>record</c>
/// column next to the few columns that are queried, so fields can be added without a migration.
/// </summary>
internal sealed class MetadataDatabase : IMetadataSchema
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE datasets (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind INTEGER NOT NULL,
            blob_sha256 TEXT NOT NULL,
            record BLOB NOT NULL);
        CREATE TABLE models (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            blob_sha256 TEXT NOT NULL,
            record BLOB NOT NULL);
        CREATE TABLE predictions (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            model_id TEXT NOT NULL,
            request_id TEXT,
            blob_sha256 TEXT,
            record BLOB NOT NULL);
        CREATE INDEX predictions_request ON predictions(request_id);
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            kind INTEGER NOT NULL,
            state INTEGER NOT NULL,
            request_id TEXT UNIQUE,
            spec BLOB NOT NULL,
            checkpoint BLOB,
            record BLOB NOT NULL);
        CREATE INDEX jobs_state ON jobs(state);
        CREATE TABLE uploads (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            size_bytes INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            header BLOB NOT NULL,
            update_time INTEGER NOT NULL,
            UNIQUE (name, size_bytes, sha256));
        """,
        // Job leases (IJobStore.ClaimNextAsync): who runs a job and until when (Unix milliseconds). Null for every
        // existing row: nobody holds them.
        """
        ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
        ALTER TABLE jobs ADD COLUMN lease_expires INTEGER;
        """,
        // The store-driven queue (IJobStore.ClaimNextAsync): each claim increments the lease generation, the fencing
        // token of the holder's writes; a cancel requested from any replica waits in cancel_requested for the holder.
        """
        ALTER TABLE jobs ADD COLUMN lease_generation INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
        """,
        // Replica liveness (IJobStore.RenewReplicaAsync; alive_until in Unix milliseconds): what keeps a queued
        // prediction pinned to a live replica. A single node never writes it.
        """
        CREATE TABLE replicas (
            id TEXT PRIMARY KEY,
            alive_until INTEGER NOT NULL);
        """,
    ];

    private readonly string _connectionString;

    public MetadataDatabase(DataDirectory directory)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = directory.DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>Creates or upgrades the schema (PRAGMA user_version counts applied migrations).</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, "PRAGMA journal_mode=WAL;", cancellationToken);
        long version = (long)(await ScalarAsync(connection, "PRAGMA user_version;", cancellationToken) ?? 0L);
        for (int i = (int)version; i < Migrations.Length; i++)
        {
            await using SqliteTransaction transaction = connection.BeginTransaction();
            await using (SqliteCommand command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = Migrations[i] + $"\nPRAGMA user_version = {i + 1};";
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
    }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;", cancellationToken);
        return connection;
    }

    public static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken);
    }
}
