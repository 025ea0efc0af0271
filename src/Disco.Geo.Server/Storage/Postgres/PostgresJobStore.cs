using Disco.Geo.Server.Storage.Records;
using Google.Protobuf;
using Npgsql;

namespace Disco.Geo.Server.Storage.Postgres;

/// <summary>
/// Jobs in PostgreSQL, shared by every replica: the same contract as <see cref="SqliteJobStore"/>, plus a
/// <c>lease_generation</c> that grows on every successful claim (a fencing token: a write made under an older
/// generation can be refused) and a <c>pg_notify</c> on the <see cref="PostgresDatabase.JobChannel"/> channel in the
/// same statement as every change of a job's record, which <see cref="PostgresJobNotifications"/> turns into events.
/// </summary>
/// <remarks>
/// Lease expiry is read from the store's <see cref="TimeProvider"/>, as in SQLite, not from the database's now():
/// the claim and heartbeat contract then means the same thing on both stores (and is tested with one fake clock on
/// both), and each replica's clock is the system clock kept within milliseconds by NTP, which is far below any lease
/// timeout (tens of seconds). A lease timeout must therefore be longer than the worst clock skew between replicas.
/// Garbage collection's grace period, which has no such contract, does use the database clock.
/// </remarks>
internal sealed class PostgresJobStore : IJobStore
{
    private readonly PostgresDatabase _database;
    private readonly TimeProvider _time;

    public PostgresJobStore(PostgresDatabase database, TimeProvider time)
    {
        _database = database;
        _time = time;
    }

    public async Task InsertAsync(JobRecord job, JobSpecRecord spec, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            WITH inserted AS (
                INSERT INTO jobs (id, kind, state, request_id, spec, record) VALUES (@id, @kind, @state, @request, @spec, @record) RETURNING id)
            SELECT pg_notify('{PostgresDatabase.JobChannel}', id) FROM inserted;
            """, connection);
        command.Parameters.AddWithValue("id", job.Id);
        command.Parameters.AddWithValue("kind", (int)job.Kind);
        command.Parameters.AddWithValue("state", (int)job.State);
        command.Parameters.AddWithValue("request", string.IsNullOrEmpty(job.RequestId) ? DBNull.Value : job.RequestId);
        command.Parameters.AddWithValue("spec", spec.ToByteArray());
        command.Parameters.AddWithValue("record", job.ToByteArray());
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (PostgresRecords.IsUniqueViolation(e) && !string.IsNullOrEmpty(job.RequestId))
        {
            // Ids are fresh, so the one unique key a new job can clash on is its request id.
            throw new RequestIdTakenException(job.RequestId);
        }
    }

    public async Task UpdateAsync(JobRecord job, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        // One statement: the row and the notification commit together, so a listener never hears of a change it
        // cannot read yet, nor misses one that was written.
        await using var command = new NpgsqlCommand(
            $"""
            WITH updated AS (UPDATE jobs SET state = @state, record = @record WHERE id = @id RETURNING id)
            SELECT pg_notify('{PostgresDatabase.JobChannel}', id) FROM updated;
            """, connection);
        command.Parameters.AddWithValue("id", job.Id);
        command.Parameters.AddWithValue("state", (int)job.State);
        command.Parameters.AddWithValue("record", job.ToByteArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        return await PostgresRecords.SingleAsync(connection, JobRecord.Parser, "jobs", "id", id, cancellationToken);
    }

    public async Task<JobRecord?> FindByRequestIdAsync(string requestId, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        return await PostgresRecords.SingleAsync(connection, JobRecord.Parser, "jobs", "request_id", requestId, cancellationToken);
    }

    public async Task<IReadOnlyList<JobRecord>> ListInStatesAsync(IReadOnlyCollection<JobRecordState> states, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        RecordPage<JobRecord> page = await PostgresRecords.ListAsync(
            connection, JobRecord.Parser, "jobs", null, int.MaxValue, ["state = ANY(@states)"],
            new Dictionary<string, object> { ["states"] = states.Select(s => (int)s).ToArray() }, cancellationToken);
        return page.Items;
    }

    public async Task<RecordPage<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken)
    {
        var filters = new List<string>();
        var parameters = new Dictionary<string, object>();
        if (query.Kind is { } kind)
        {
            filters.Add("kind = @kind");
            parameters["kind"] = (int)kind;
        }

        if (query.State is { } state)
        {
            filters.Add("state = @state");
            parameters["state"] = (int)state;
        }

        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        return await PostgresRecords.ListAsync(connection, JobRecord.Parser, "jobs", query.AfterId, query.Limit, filters, parameters, cancellationToken);
    }

    public async Task<JobSpecRecord> GetSpecAsync(string id, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT spec FROM jobs WHERE id = @id;", connection);
        command.Parameters.AddWithValue("id", id);
        return JobSpecRecord.Parser.ParseFrom(await command.ExecuteScalarAsync(cancellationToken) as byte[] ?? []);
    }

    public async Task<byte[]?> GetCheckpointAsync(string id, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT checkpoint FROM jobs WHERE id = @id;", connection);
        command.Parameters.AddWithValue("id", id);
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    public async Task SaveCheckpointAsync(string id, byte[] checkpoint, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("UPDATE jobs SET checkpoint = @checkpoint WHERE id = @id;", connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("checkpoint", checkpoint);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<(JobRecordKind Kind, JobRecordState State, long Count)>> CountByKindAndStateAsync(CancellationToken cancellationToken)
    {
        var counts = new List<(JobRecordKind, JobRecordState, long)>();
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT kind, state, count(*) FROM jobs GROUP BY kind, state;", connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts.Add(((JobRecordKind)reader.GetInt32(0), (JobRecordState)reader.GetInt32(1), reader.GetInt64(2)));
        }

        return counts;
    }

    public Task<bool> TryClaimAsync(string id, string owner, TimeSpan lease, CancellationToken cancellationToken) =>
        // One statement, so two claimants cannot both see the lease free: the row changes only for the winner, whose
        // claim also moves the fencing generation on.
        ExecuteLeaseAsync(
            """
            UPDATE jobs SET lease_owner = @owner, lease_expires = @expires, lease_generation = lease_generation + 1
            WHERE id = @id AND (lease_owner IS NULL OR lease_owner = @owner OR lease_expires <= @now);
            """,
            id, owner, lease, cancellationToken);

    public Task<bool> RenewAsync(string id, string owner, TimeSpan lease, CancellationToken cancellationToken) =>
        ExecuteLeaseAsync("UPDATE jobs SET lease_expires = @expires WHERE id = @id AND lease_owner = @owner;", id, owner, lease, cancellationToken);

    public async Task ReleaseAsync(string id, string owner, CancellationToken cancellationToken) =>
        await ExecuteLeaseAsync("UPDATE jobs SET lease_owner = NULL, lease_expires = NULL WHERE id = @id AND lease_owner = @owner;", id, owner, TimeSpan.Zero, cancellationToken);

    /// <remarks>
    /// Voids every lease in the shared database, as the contract says. Only right while one replica uses the database:
    /// a cluster recovers a dead replica's jobs by lease expiry instead.
    /// </remarks>
    public async Task ReleaseAllAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await PostgresDatabase.ExecuteAsync(connection, "UPDATE jobs SET lease_owner = NULL, lease_expires = NULL WHERE lease_owner IS NOT NULL;", cancellationToken);
    }

    /// <summary>The fencing generation of the job's current lease (0 when it was never claimed); null when the job does not exist.</summary>
    public async Task<long?> GetLeaseGenerationAsync(string id, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT lease_generation FROM jobs WHERE id = @id;", connection);
        command.Parameters.AddWithValue("id", id);
        return await command.ExecuteScalarAsync(cancellationToken) as long?;
    }

    private async Task<bool> ExecuteLeaseAsync(string sql, string id, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("now", now.UtcDateTime);
        command.Parameters.AddWithValue("expires", (now + lease).UtcDateTime);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}
