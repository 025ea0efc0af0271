using Disco.Geo.Server.Storage.Records;
using Google.Protobuf;
using Npgsql;

namespace Disco.Geo.Server.Storage.Postgres;

/// <summary>
/// Jobs in PostgreSQL, the queue every replica claims from: the same contract as <see cref="SqliteJobStore"/>
/// (<see cref="IJobStore"/>: claims with a <c>lease_generation</c> that every claim increments, the fencing token of the
/// holder's writes), plus a <c>pg_notify</c> on the <see cref="PostgresDatabase.JobChannel"/> channel in the same
/// statement as every change of a job's record or cancel request, which <see cref="PostgresJobNotifications"/> turns
/// into events.
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
                INSERT INTO jobs (id, kind, state, device, priority, pinned_replica, request_id, spec, record)
                VALUES (@id, @kind, @state, @device, @priority, @pinned, @request, @spec, @record) RETURNING id)
            SELECT pg_notify('{PostgresDatabase.JobChannel}', id || CASE WHEN @pinned = '' THEN '{JobChangeNotices.ClaimableSuffix}' ELSE '' END) FROM inserted;
            """, connection);
        command.Parameters.AddWithValue("id", job.Id);
        command.Parameters.AddWithValue("kind", (int)job.Kind);
        command.Parameters.AddWithValue("state", (int)job.State);
        command.Parameters.AddWithValue("device", job.Device);
        command.Parameters.AddWithValue("priority", job.Priority);
        command.Parameters.AddWithValue("pinned", job.PinnedReplica);
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

    public async Task<bool> UpdateAsync(JobRecord job, JobLease lease, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        // One statement: the fence, the row and the notification commit together, so a listener never hears of a
        // change it cannot read yet, nor misses one that was written.
        await using var command = new NpgsqlCommand(
            $"""
            WITH updated AS (
                UPDATE jobs SET state = @state, record = @record WHERE id = @id AND lease_owner = @owner AND lease_generation = @generation RETURNING id)
            SELECT pg_notify('{PostgresDatabase.JobChannel}', id) FROM updated;
            """, connection);
        command.Parameters.AddWithValue("id", job.Id);
        command.Parameters.AddWithValue("state", (int)job.State);
        command.Parameters.AddWithValue("record", job.ToByteArray());
        command.Parameters.AddWithValue("owner", lease.Owner);
        command.Parameters.AddWithValue("generation", lease.Generation);
        return await NotifiedRowsAsync(command, cancellationToken) > 0;
    }

    public async Task<bool> TryUpdateUnclaimedAsync(JobRecord job, IReadOnlyCollection<JobRecordState> expectedStates, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        // One statement: the state check, the lease check and the write cannot interleave with a claim (which locks
        // the row), and the notification goes with it.
        await using var command = new NpgsqlCommand(
            $"""
            WITH updated AS (
                UPDATE jobs SET state = @state, record = @record, lease_owner = NULL, lease_expires = NULL,
                    cancel_requested = CASE WHEN @queued THEN false ELSE cancel_requested END
                WHERE id = @id AND state = ANY(@expected) AND (lease_owner IS NULL OR lease_expires <= @now) RETURNING id)
            SELECT pg_notify('{PostgresDatabase.JobChannel}', id || '{JobChangeNotices.ClaimableSuffix}') FROM updated;
            """, connection);
        command.Parameters.AddWithValue("id", job.Id);
        command.Parameters.AddWithValue("state", (int)job.State);
        command.Parameters.AddWithValue("record", job.ToByteArray());
        command.Parameters.AddWithValue("queued", job.State == JobRecordState.Queued);
        command.Parameters.AddWithValue("expected", expectedStates.Select(s => (int)s).ToArray());
        command.Parameters.AddWithValue("now", _time.GetUtcNow().UtcDateTime);
        return await NotifiedRowsAsync(command, cancellationToken) > 0;
    }

    public async Task<bool> TryRepinAsync(JobRecord job, string previousReplica, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        // One statement, like TryUpdateUnclaimedAsync: the row lock orders it with claims, and the new replica's
        // claim loop hears of it through the notification.
        await using var command = new NpgsqlCommand(
            $"""
            WITH updated AS (
                UPDATE jobs SET pinned_replica = @pinned, record = @record
                WHERE id = @id AND pinned_replica = @previous AND state = ANY(@states) AND (lease_owner IS NULL OR lease_expires <= @now)
                    AND NOT EXISTS (SELECT 1 FROM replicas WHERE replicas.id = @previous AND alive_until > @now) RETURNING id)
            SELECT pg_notify('{PostgresDatabase.JobChannel}', id || '{JobChangeNotices.ClaimableSuffix}') FROM updated;
            """, connection);
        command.Parameters.AddWithValue("id", job.Id);
        command.Parameters.AddWithValue("pinned", job.PinnedReplica);
        command.Parameters.AddWithValue("previous", previousReplica);
        command.Parameters.AddWithValue("record", job.ToByteArray());
        command.Parameters.AddWithValue("states", ClaimableStates);
        command.Parameters.AddWithValue("now", _time.GetUtcNow().UtcDateTime);
        return await NotifiedRowsAsync(command, cancellationToken) > 0;
    }

    public async Task RenewReplicaAsync(string replica, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "INSERT INTO replicas (id, alive_until) VALUES (@id, @until) ON CONFLICT (id) DO UPDATE SET alive_until = excluded.alive_until;", connection);
        command.Parameters.AddWithValue("id", replica);
        command.Parameters.AddWithValue("until", (_time.GetUtcNow() + duration).UtcDateTime);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> TryAbandonAsync(JobRecord ended, string pinnedReplica, TimeSpan grace, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        // One statement, like TryRepinAsync: a concurrent re-pin or claim either lands first (and this matches nothing)
        // or waits for this one (and then finds the job ended).
        await using var command = new NpgsqlCommand(
            $"""
            WITH updated AS (
                UPDATE jobs SET state = @state, record = @record, lease_owner = NULL, lease_expires = NULL
                WHERE id = @id AND pinned_replica = @pinned AND state = ANY(@states) AND (lease_owner IS NULL OR lease_expires <= @cutoff)
                    AND NOT EXISTS (SELECT 1 FROM replicas WHERE replicas.id = @pinned AND alive_until > @cutoff) RETURNING id)
            SELECT pg_notify('{PostgresDatabase.JobChannel}', id) FROM updated;
            """, connection);
        command.Parameters.AddWithValue("id", ended.Id);
        command.Parameters.AddWithValue("state", (int)ended.State);
        command.Parameters.AddWithValue("record", ended.ToByteArray());
        command.Parameters.AddWithValue("pinned", pinnedReplica);
        command.Parameters.AddWithValue("states", ClaimableStates);
        command.Parameters.AddWithValue("cutoff", (_time.GetUtcNow() - grace).UtcDateTime);
        return await NotifiedRowsAsync(command, cancellationToken) > 0;
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

    public async Task<bool> SaveCheckpointAsync(string id, JobLease lease, byte[] checkpoint, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "UPDATE jobs SET checkpoint = @checkpoint WHERE id = @id AND lease_owner = @owner AND lease_generation = @generation;", connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("checkpoint", checkpoint);
        command.Parameters.AddWithValue("owner", lease.Owner);
        command.Parameters.AddWithValue("generation", lease.Generation);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
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

    /// <remarks>
    /// One transaction under the claim lock (<see cref="PostgresDatabase.ClaimLockKey"/>): claims from all replicas
    /// take turns, each reads every claimable row (locked <c>FOR UPDATE</c> against a concurrent cancel or release)
    /// and applies <see cref="JobClaims"/>' rule, shared with SQLite, to the whole queue. A claim takes milliseconds and
    /// jobs run for seconds to hours, so the turns cost nothing measurable, and null means what it says: nothing is
    /// admissible for this claimant. (Claiming with <c>FOR UPDATE SKIP LOCKED</c> instead let concurrent claimants see
    /// each other's candidates as taken: all of them could get null while jobs were queued, which left those jobs to
    /// the next poll.)
    /// </remarks>
    public async Task<ClaimedJob?> ClaimNextAsync(JobClaimRequest request, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        await PostgresDatabase.ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({PostgresDatabase.ClaimLockKey});", cancellationToken);
        // The clock is read after the turn came: a lease that expired while this claimant waited counts as expired.
        DateTime now = _time.GetUtcNow().UtcDateTime;
        List<Candidate> candidates = await ClaimableAsync(connection, now, request, cancellationToken);
        Candidate? chosen = JobClaims.Choose(candidates, c => c.Job, request);
        if (chosen is not { } claim)
        {
            return null;
        }

        var lease = new JobLease(request.Owner, claim.Generation + 1);
        await using (var update = new NpgsqlCommand(
            "UPDATE jobs SET lease_owner = @owner, lease_expires = @expires, lease_generation = @generation WHERE id = @id;", connection))
        {
            update.Parameters.AddWithValue("id", claim.Job.Id);
            update.Parameters.AddWithValue("owner", lease.Owner);
            update.Parameters.AddWithValue("expires", now + request.Lease);
            update.Parameters.AddWithValue("generation", lease.Generation);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new ClaimedJob(claim.Job, lease, claim.CancelRequested);
    }

    public async Task<JobLeaseStatus> RenewAsync(string id, JobLease lease, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "UPDATE jobs SET lease_expires = @expires WHERE id = @id AND lease_owner = @owner AND lease_generation = @generation RETURNING cancel_requested;", connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("owner", lease.Owner);
        command.Parameters.AddWithValue("generation", lease.Generation);
        command.Parameters.AddWithValue("expires", (_time.GetUtcNow() + duration).UtcDateTime);
        return await command.ExecuteScalarAsync(cancellationToken) is bool cancel ? new JobLeaseStatus(true, cancel) : new JobLeaseStatus(false, false);
    }

    public async Task ReleaseAsync(string id, JobLease lease, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "UPDATE jobs SET lease_owner = NULL, lease_expires = NULL WHERE id = @id AND lease_owner = @owner AND lease_generation = @generation;", connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("owner", lease.Owner);
        command.Parameters.AddWithValue("generation", lease.Generation);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> RequestCancelAsync(string id, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        // Notified too: the holder may hear of the request before its next heartbeat.
        await using var command = new NpgsqlCommand(
            $"""
            WITH updated AS (UPDATE jobs SET cancel_requested = true WHERE id = @id AND state = ANY(@claimable) RETURNING id)
            SELECT pg_notify('{PostgresDatabase.JobChannel}', id || '{JobChangeNotices.ClaimableSuffix}') FROM updated;
            """, connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("claimable", ClaimableStates);
        return await NotifiedRowsAsync(command, cancellationToken) > 0;
    }

    /// <remarks>
    /// Voids every lease in the shared database, as the contract says. Only right while one replica uses the database
    /// (the runner never calls it in cluster mode: a dead replica's jobs are taken over by lease expiry).
    /// </remarks>
    public async Task ReleaseAllAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await PostgresDatabase.ExecuteAsync(connection, "UPDATE jobs SET lease_owner = NULL, lease_expires = NULL WHERE lease_owner IS NOT NULL;", cancellationToken);
    }

    /// <summary>Runs a <c>WITH … RETURNING … SELECT pg_notify(…)</c> statement; returns the rows it changed (one notification each).</summary>
    private static async Task<int> NotifiedRowsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        int rows = 0;
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows++;
        }

        return rows;
    }

    /// <summary>The jobs <paramref name="request"/>'s claimant may claim at <paramref name="now"/>, locked until the transaction ends.</summary>
    private static async Task<List<Candidate>> ClaimableAsync(NpgsqlConnection connection, DateTime now, JobClaimRequest request, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT record, lease_generation, cancel_requested FROM jobs WHERE state = ANY(@claimable) AND (lease_owner IS NULL OR lease_expires <= @now) " +
            "AND (pinned_replica = '' OR pinned_replica = @replica) FOR UPDATE;",
            connection);
        command.Parameters.AddWithValue("claimable", ClaimableStates);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("replica", request.Replica);
        var candidates = new List<Candidate>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            candidates.Add(new Candidate(JobRecord.Parser.ParseFrom(reader.GetFieldValue<byte[]>(0)), reader.GetInt64(1), reader.GetBoolean(2)));
        }

        return candidates;
    }

    private static readonly int[] ClaimableStates = [(int)JobRecordState.Queued, (int)JobRecordState.Running, (int)JobRecordState.Cancelling];

    private readonly record struct Candidate(JobRecord Job, long Generation, bool CancelRequested);
}
