using System.Globalization;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace Disco.Geo.Server.Storage;

/// <summary>Jobs in the SQLite metadata database (table jobs; leases in lease_owner and lease_expires, Unix milliseconds).</summary>
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

    public async Task UpdateAsync(JobRecord job, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "UPDATE jobs SET state = $s, record = $rec WHERE id = $id;";
        command.Parameters.AddWithValue("$id", job.Id);
        command.Parameters.AddWithValue("$s", (int)job.State);
        command.Parameters.AddWithValue("$rec", job.ToByteArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

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
        string list = string.Join(",", states.Select(s => ((int)s).ToString(CultureInfo.InvariantCulture)));
        (List<JobRecord> items, _) = await _table.ListAsync(connection, null, int.MaxValue - 1, $"state IN ({list})", null, cancellationToken);
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

    public async Task SaveCheckpointAsync(string id, byte[] checkpoint, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "UPDATE jobs SET checkpoint = $c WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$c", checkpoint);
        await command.ExecuteNonQueryAsync(cancellationToken);
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

    public Task<bool> TryClaimAsync(string id, string owner, TimeSpan lease, CancellationToken cancellationToken) =>
        // One statement, so two claimants cannot both see the lease free: the row changes only for the winner.
        ExecuteLeaseAsync(
            "UPDATE jobs SET lease_owner = $o, lease_expires = $e WHERE id = $id AND (lease_owner IS NULL OR lease_owner = $o OR lease_expires <= $now);",
            id, owner, lease, cancellationToken);

    public Task<bool> RenewAsync(string id, string owner, TimeSpan lease, CancellationToken cancellationToken) =>
        ExecuteLeaseAsync("UPDATE jobs SET lease_expires = $e WHERE id = $id AND lease_owner = $o;", id, owner, lease, cancellationToken);

    public async Task ReleaseAsync(string id, string owner, CancellationToken cancellationToken) =>
        await ExecuteLeaseAsync("UPDATE jobs SET lease_owner = NULL, lease_expires = NULL WHERE id = $id AND lease_owner = $o;", id, owner, TimeSpan.Zero, cancellationToken);

    public async Task ReleaseAllAsync(CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await MetadataDatabase.ExecuteAsync(connection, "UPDATE jobs SET lease_owner = NULL, lease_expires = NULL WHERE lease_owner IS NOT NULL;", cancellationToken);
    }

    private async Task<bool> ExecuteLeaseAsync(string sql, string id, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$o", owner);
        command.Parameters.AddWithValue("$now", now);
        command.Parameters.AddWithValue("$e", now + (long)lease.TotalMilliseconds);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}
