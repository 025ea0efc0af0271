using Disco.Geo.Server.Options;
using Npgsql;

namespace Disco.Geo.Server.Storage.Postgres;

/// <summary>
/// The PostgreSQL metadata database of cluster mode: one <see cref="NpgsqlDataSource"/> (a connection pool) shared by
/// the stores of this replica. Tables mirror the SQLite ones (<see cref="MetadataDatabase"/>): each record is kept whole
/// as protobuf bytes (bytea) next to the few columns that are queried.
/// </summary>
/// <remarks>
/// Replicas starting together all migrate: each migration runs in one transaction that first takes
/// <c>pg_advisory_xact_lock(<see cref="MigrationLockKey"/>)</c>, so the second replica waits, then reads the version the
/// first one wrote and has nothing left to do. A failed migration rolls back whole and the lock goes with the
/// transaction. Id and name columns use the "C" collation so that lists page in the same byte order as SQLite.
/// </remarks>
internal sealed class PostgresDatabase : IMetadataSchema, IAsyncDisposable
{
    /// <summary>The advisory lock key schema migrations serialise on ("discogeo" in ASCII); no other lock uses it.</summary>
    public const long MigrationLockKey = 0x6469_7363_6f67_656f;

    /// <summary>First key of the two-key advisory locks on one blob (the second is hashtext(sha256)).</summary>
    public const int BlobLockClass = 0x6469_0001;

    /// <summary>First key of the two-key advisory locks on one upload session (the second is hashtext(id)).</summary>
    public const int UploadLockClass = 0x6469_0002;

    /// <summary>
    /// The advisory lock job claims serialise on (<see cref="PostgresJobStore.ClaimNextAsync"/>), transaction-level:
    /// one claim at a time across all replicas, so every claimant reads the queue as the previous claim left it.
    /// </summary>
    public const long ClaimLockKey = 0x6469_7363_636c_6169;

    /// <summary>The channel job state changes are announced on (see <see cref="PostgresJobNotifications"/>).</summary>
    public const string JobChannel = "disco_jobs";

    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE datasets (
            id text COLLATE "C" PRIMARY KEY,
            name text COLLATE "C" NOT NULL UNIQUE,
            kind integer NOT NULL,
            blob_sha256 text NOT NULL,
            record bytea NOT NULL);
        CREATE INDEX datasets_blob ON datasets (blob_sha256);
        CREATE TABLE models (
            id text COLLATE "C" PRIMARY KEY,
            name text COLLATE "C" NOT NULL UNIQUE,
            blob_sha256 text NOT NULL,
            record bytea NOT NULL);
        CREATE INDEX models_blob ON models (blob_sha256);
        CREATE TABLE predictions (
            id text COLLATE "C" PRIMARY KEY,
            name text COLLATE "C" NOT NULL,
            model_id text NOT NULL,
            request_id text,
            blob_sha256 text,
            record bytea NOT NULL);
        CREATE INDEX predictions_request ON predictions (request_id);
        CREATE INDEX predictions_model ON predictions (model_id);
        CREATE INDEX predictions_blob ON predictions (blob_sha256);
        CREATE TABLE jobs (
            id text COLLATE "C" PRIMARY KEY,
            kind integer NOT NULL,
            state integer NOT NULL,
            device text NOT NULL DEFAULT '',
            priority integer NOT NULL DEFAULT 0,
            pinned_replica text NOT NULL DEFAULT '',
            request_id text UNIQUE,
            spec bytea NOT NULL,
            checkpoint bytea,
            record bytea NOT NULL,
            lease_owner text,
            lease_expires timestamptz,
            lease_generation bigint NOT NULL DEFAULT 0,
            cancel_requested boolean NOT NULL DEFAULT false);
        CREATE INDEX jobs_state ON jobs (state);
        CREATE TABLE uploads (
            id text COLLATE "C" PRIMARY KEY,
            name text NOT NULL,
            size_bytes bigint NOT NULL,
            sha256 text NOT NULL,
            header bytea NOT NULL,
            update_time timestamptz NOT NULL DEFAULT now(),
            UNIQUE (name, size_bytes, sha256));
        CREATE TABLE blob_pins (
            pin uuid PRIMARY KEY,
            sha256 text NOT NULL,
            pinned_at timestamptz NOT NULL DEFAULT now());
        CREATE INDEX blob_pins_sha256 ON blob_pins (sha256);
        """,
        // Replica liveness (IJobStore.RenewReplicaAsync): a queued prediction pinned to a replica has no lease, so this
        // is what tells a live replica from a dead one before a retry may move the prediction.
        """
        CREATE TABLE replicas (
            id text COLLATE "C" PRIMARY KEY,
            alive_until timestamptz NOT NULL);
        """,
    ];

    public PostgresDatabase(string connectionString)
    {
        DataSource = NpgsqlDataSource.Create(Validate(connectionString));
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>The schema version this build migrates to.</summary>
    public static int LatestVersion => Migrations.Length;

    /// <summary>
    /// Checks <paramref name="connectionString"/> is an Npgsql connection string naming a host, without connecting
    /// (the database may come up after the replica). Throws <see cref="ServerConfigurationException"/> otherwise.
    /// </summary>
    public static string Validate(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            // The message names the bad key, never echoes the string (it may hold a password).
            throw new ServerConfigurationException(
                $"Storage:PostgreSql (--postgres) is not an Npgsql connection string: {e.Message} " +
                "Expected e.g. Host=db.example;Database=disco;Username=disco.");
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new ServerConfigurationException(
                "Storage:PostgreSql (--postgres) names no Host: give the server name, or a Unix socket directory, e.g. Host=db.example;Database=disco;Username=disco.");
        }

        return builder.ConnectionString;
    }

    /// <inheritdoc/>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({MigrationLockKey});", cancellationToken);
        await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL);", cancellationToken);
        object? current = await ScalarAsync(connection, "SELECT max(version) FROM schema_version;", cancellationToken);
        int version = current is int v ? v : 0;
        if (version > Migrations.Length)
        {
            throw new ServerConfigurationException(
                $"The PostgreSQL database is at schema version {version}, newer than this disco-server knows ({Migrations.Length}). Upgrade this replica.");
        }

        for (int i = version; i < Migrations.Length; i++)
        {
            await ExecuteAsync(connection, Migrations[i], cancellationToken);
        }

        if (version < Migrations.Length)
        {
            await ExecuteAsync(connection, $"DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES ({Migrations.Length});", cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) =>
        await DataSource.OpenConnectionAsync(cancellationToken);

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        object? value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }
}
