using System.Globalization;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace Disco.Geo.Server.Storage;

/// <summary>Jobs in the SQLite metadata database (table jobs; leases in lease_owner, lease_expires (Unix milliseconds) and lease_generation; cancel requests in cancel_requested).</summary>
internal sealed class SqliteJobStore : IJobStore
{
    private readonly MetadataDatabase _database;
    private readonly TimeProvider _time;
    private readonly RecordTable<JobRecord> _table = new("jobs");

    public SqliteJobStore(MetadataDatabase database, TimeProvider time)
    {
        _database = database;
        _time = time;
    }

    public async Task InsertAsync(JobRecord job, JobSpecRecord spec, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "INSERT INTO jobs (id, kind, state, request_id, spec, record) VALUES ($id, $k, $s, $r, $spec, $rec);";
        command.Parameters.AddWithValue("$id", job.Id);
        command.Parameters.AddWithValue("$k", (int)job.Kind);
        command.Parameters.AddWithValue("$s", (int)job.State);
        command.Parameters.AddWithValue("$r", string.IsNullOrEmpty(job.RequestId) ? DBNull.Value : job.RequestId);
        command.Parameters.AddWithValue("$spec", spec.ToByteArray());
        command.Parameters.AddWithValue("$rec", job.ToByteArray());
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SqliteErrors.Constraint && !string.IsNullOrEmpty(job.RequestId))
        {
            // Ids are fresh, so the one unique key a new job can clash on is its request id.
            throw new RequestIdTakenException(job.RequestId);
        }
    }

    public async Task<bool> UpdateAsync(JobRecord job, JobLease lease, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "UPDATE jobs SET state = $s, record = $rec WHERE id = $id AND lease_owner = $o AND lease_generation = $g;";
        command.Parameters.AddWithValue("$id", job.Id);
        command.Parameters.AddWithValue("$s", (int)job.State);
        command.Parameters.AddWithValue("$rec", job.ToByteArray());
        command.Parameters.AddWithValue("$o", lease.Owner);
        command.Parameters.AddWithValue("$g", lease.Generation);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<bool> TryUpdateUnclaimedAsync(JobRecord job, IReadOnlyCollection<JobRecordState> expectedStates, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        // One statement: the state check, the lease check and the write cannot interleave with a claim.
        command.CommandText =
            $"UPDATE jobs SET state = $s, record = $rec, lease_owner = NULL, lease_expires = NULL, cancel_requested = CASE WHEN $queued THEN 0 ELSE cancel_requested END " +
            $"WHERE id = $id AND state IN ({StateList(expectedStates)}) AND (lease_owner IS NULL OR lease_expires <= $now);";
        command.Parameters.AddWithValue("$id", job.Id);
        command.Parameters.AddWithValue("$s", (int)job.State);
        command.Parameters.AddWithValue("$rec", job.ToByteArray());
        command.Parameters.AddWithValue("$queued", job.State == JobRecordState.Queued);
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public Task<bool> TryRepinAsync(JobRecord job, string previousReplica, CancellationToken cancellationToken) =>
        TryRewritePinnedAsync(job, previousReplica, _time.GetUtcNow().ToUnixTimeMilliseconds(), "", cancellationToken);

    public async Task RenewReplicaAsync(string replica, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "INSERT INTO replicas (id, alive_until) VALUES ($id, $until) ON CONFLICT (id) DO UPDATE SET alive_until = excluded.alive_until;";
        command.Parameters.AddWithValue("$id", replica);
        command.Parameters.AddWithValue("$until", (_time.GetUtcNow() + duration).ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<bool> TryAbandonAsync(JobRecord ended, string pinnedReplica, TimeSpan grace, CancellationToken cancellationToken) =>
        TryRewritePinnedAsync(ended, pinnedReplica, (_time.GetUtcNow() - grace).ToUnixTimeMilliseconds(),
            ", state = $s, lease_owner = NULL, lease_expires = NULL", cancellationToken);

    /// <summary>
    /// The write of <see cref="TryRepinAsync"/> and <see cref="TryAbandonAsync"/>: <paramref name="job"/>'s record (and
    /// <paramref name="moreSets"/>) when the job is repinnable, pinned to <paramref name="pinnedReplica"/>, and both
    /// its lease and that replica's liveness ended at or before <paramref name="cutoff"/> (Unix milliseconds).
    /// </summary>
    private async Task<bool> TryRewritePinnedAsync(JobRecord job, string pinnedReplica, long cutoff, string moreSets, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        // The pin lives in the record here: BEGIN IMMEDIATE (as in ClaimNextAsync) makes the read of the current pin
        // and the write one step against claims and other re-pins.
        await using SqliteTransaction transaction = connection.BeginTransaction();
        string gone = $"id = $id AND state IN ({StateList(RepinnableStates)}) AND (lease_owner IS NULL OR lease_expires <= $cutoff) " +
            "AND NOT EXISTS (SELECT 1 FROM replicas WHERE replicas.id = $pinned AND alive_until > $cutoff)";
        await using (SqliteCommand select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = $"SELECT record FROM jobs WHERE {gone};";
            select.Parameters.AddWithValue("$id", job.Id);
            select.Parameters.AddWithValue("$cutoff", cutoff);
            select.Parameters.AddWithValue("$pinned", pinnedReplica);
            if (await select.ExecuteScalarAsync(cancellationToken) is not byte[] stored || JobRecord.Parser.ParseFrom(stored).PinnedReplica != pinnedReplica)
            {
                return false;
            }
        }

        await using (SqliteCommand update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = $"UPDATE jobs SET record = $rec{moreSets} WHERE {gone};";
            update.Parameters.AddWithValue("$id", job.Id);
            update.Parameters.AddWithValue("$cutoff", cutoff);
            update.Parameters.AddWithValue("$pinned", pinnedReplica);
            update.Parameters.AddWithValue("$rec", job.ToByteArray());
            update.Parameters.AddWithValue("$s", (int)job.State);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static readonly JobRecordState[] RepinnableStates = [JobRecordState.Queued, JobRecordState.Running, JobRecordState.Cancelling];

    public async Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        return await _table.GetAsync(connection, id, cancellationToken);
    }

    public async Task<JobRecord?> FindByRequestIdAsync(string requestId, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        return await _table.SingleAsync(connection, "request_id = $v", requestId, cancellationToken);
    }

    public async Task<IReadOnlyList<JobRecord>> ListInStatesAsync(IReadOnlyCollection<JobRecordState> states, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        (List<JobRecord> items, _) = await _table.ListAsync(connection, null, int.MaxValue - 1, $"state IN ({StateList(states)})", null, cancellationToken);
        return items;
    }

    public async Task<RecordPage<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken)
    {
        var filters = new List<string>();
        var parameters = new Dictionary<string, object>();
        if (query.Kind is { } kind)
        {
            filters.Add("kind = $kind");
            parameters["$kind"] = (int)kind;
        }

        if (query.State is { } state)
        {
            filters.Add("state = $state");
            parameters["$state"] = (int)state;
        }

        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        (List<JobRecord> items, bool more) = await _table.ListAsync(
            connection, query.AfterId, query.Limit, filters.Count == 0 ? null : string.Join(" AND ", filters), parameters, cancellationToken);
        return new RecordPage<JobRecord>(items, more);
    }

    public async Task<JobSpecRecord> GetSpecAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT spec FROM jobs WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        return JobSpecRecord.Parser.ParseFrom((byte[])(await command.ExecuteScalarAsync(cancellationToken) ?? Array.Empty<byte>()));
    }

    public async Task<byte[]?> GetCheckpointAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT checkpoint FROM jobs WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    public async Task<bool> SaveCheckpointAsync(string id, JobLease lease, byte[] checkpoint, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "UPDATE jobs SET checkpoint = $c WHERE id = $id AND lease_owner = $o AND lease_generation = $g;";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$c", checkpoint);
        command.Parameters.AddWithValue("$o", lease.Owner);
        command.Parameters.AddWithValue("$g", lease.Generation);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<IReadOnlyList<(JobRecordKind Kind, JobRecordState State, long Count)>> CountByKindAndStateAsync(CancellationToken cancellationToken)
    {
        var counts = new List<(JobRecordKind, JobRecordState, long)>();
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state;";
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts.Add(((JobRecordKind)reader.GetInt32(0), (JobRecordState)reader.GetInt32(1), reader.GetInt64(2)));
        }

        return counts;
    }

    public async Task<ClaimedJob?> ClaimNextAsync(JobClaimRequest request, CancellationToken cancellationToken)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        // BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default): the write lock is taken before reading, so the choice and
        // the claim are one step against every other claimant, in this process or another.
        await using SqliteTransaction transaction = connection.BeginTransaction();
        var candidates = new List<(JobRecord Job, long Generation, bool CancelRequested)>();
        await using (SqliteCommand select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText =
                $"SELECT record, lease_generation, cancel_requested FROM jobs WHERE state IN ({StateList(ClaimableStates)}) AND (lease_owner IS NULL OR lease_expires <= $now);";
            select.Parameters.AddWithValue("$now", now);
            await using SqliteDataReader reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                JobRecord job = JobRecord.Parser.ParseFrom((byte[])reader[0]);
                if (job.PinnedReplica.Length == 0 || job.PinnedReplica == request.Replica)
                {
                    candidates.Add((job, reader.GetInt64(1), reader.GetInt64(2) != 0));
                }
            }
        }

        (JobRecord Job, long Generation, bool CancelRequested)? chosen = JobClaims.Choose(candidates, c => c.Job, request);
        if (chosen is not { } claim)
        {
            return null;
        }

        var lease = new JobLease(request.Owner, claim.Generation + 1);
        await using (SqliteCommand update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = "UPDATE jobs SET lease_owner = $o, lease_expires = $e, lease_generation = $g WHERE id = $id;";
            update.Parameters.AddWithValue("$id", claim.Job.Id);
            update.Parameters.AddWithValue("$o", lease.Owner);
            update.Parameters.AddWithValue("$e", now + (long)request.Lease.TotalMilliseconds);
            update.Parameters.AddWithValue("$g", lease.Generation);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new ClaimedJob(claim.Job, lease, claim.CancelRequested);
    }

    public async Task<JobLeaseStatus> RenewAsync(string id, JobLease lease, TimeSpan duration, CancellationToken cancellationToken)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "UPDATE jobs SET lease_expires = $e WHERE id = $id AND lease_owner = $o AND lease_generation = $g RETURNING cancel_requested;";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$o", lease.Owner);
        command.Parameters.AddWithValue("$g", lease.Generation);
        command.Parameters.AddWithValue("$e", now + (long)duration.TotalMilliseconds);
        object? cancel = await command.ExecuteScalarAsync(cancellationToken);
        return cancel is long flag ? new JobLeaseStatus(true, flag != 0) : new JobLeaseStatus(false, false);
    }

    public async Task ReleaseAsync(string id, JobLease lease, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "UPDATE jobs SET lease_owner = NULL, lease_expires = NULL WHERE id = $id AND lease_owner = $o AND lease_generation = $g;";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$o", lease.Owner);
        command.Parameters.AddWithValue("$g", lease.Generation);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> RequestCancelAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"UPDATE jobs SET cancel_requested = 1 WHERE id = $id AND state IN ({StateList(ClaimableStates)});";
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task ReleaseAllAsync(CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await MetadataDatabase.ExecuteAsync(connection, "UPDATE jobs SET lease_owner = NULL, lease_expires = NULL WHERE lease_owner IS NOT NULL;", cancellationToken);
    }

    private static readonly JobRecordState[] ClaimableStates = [JobRecordState.Queued, JobRecordState.Running, JobRecordState.Cancelling];

    private static string StateList(IEnumerable<JobRecordState> states) =>
        string.Join(",", states.Select(s => ((int)s).ToString(CultureInfo.InvariantCulture)));
}
