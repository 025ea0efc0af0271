using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Storage;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace Disco.Geo.Server.Jobs;

/// <summary>Jobs in the metadata database: the Job record, the spec it was started with, and its last checkpoint.</summary>
internal sealed class JobStore
{
    private readonly MetadataDatabase _database;

    public JobStore(MetadataDatabase database) => _database = database;

    public RecordTable<Job> Table { get; } = new("jobs");

    public async Task InsertAsync(Job job, ByteString spec, CancellationToken cancellationToken)
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
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task UpdateAsync(Job job, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "UPDATE jobs SET state = $s, record = $rec WHERE id = $id;";
        command.Parameters.AddWithValue("$id", job.Id);
        command.Parameters.AddWithValue("$s", (int)job.State);
        command.Parameters.AddWithValue("$rec", job.ToByteArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<Job?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        return await Table.GetAsync(connection, id, cancellationToken);
    }

    public async Task<Job?> FindByRequestIdAsync(string requestId, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        return await Table.SingleAsync(connection, "request_id = $v", requestId, cancellationToken);
    }

    public async Task<List<Job>> ListInStatesAsync(IReadOnlyCollection<JobState> states, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        string list = string.Join(",", states.Select(s => ((int)s).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        (List<Job> items, _) = await Table.ListAsync(connection, null, int.MaxValue - 1, $"state IN ({list})", null, cancellationToken);
        return items;
    }

    public async Task<ByteString> GetSpecAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT spec FROM jobs WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        // The array is this call's own, so it is wrapped instead of copied.
        return UnsafeByteOperations.UnsafeWrap((byte[])(await command.ExecuteScalarAsync(cancellationToken) ?? Array.Empty<byte>()));
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

    /// <summary>Counts of jobs by kind and state, for /metrics.</summary>
    public async Task<List<(JobKind Kind, JobState State, long Count)>> CountByKindAndStateAsync(CancellationToken cancellationToken)
    {
        var counts = new List<(JobKind, JobState, long)>();
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state;";
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts.Add(((JobKind)reader.GetInt32(0), (JobState)reader.GetInt32(1), reader.GetInt64(2)));
        }

        return counts;
    }
}
