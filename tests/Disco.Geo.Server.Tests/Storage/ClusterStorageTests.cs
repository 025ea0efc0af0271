using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Postgres;
using Disco.Geo.Server.Storage.Records;
using Disco.Geo.Server.Tests.Infrastructure;
using Disco.Geo.Server.Tests.Storage.Backends;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Disco.Geo.Server.Tests.Storage;

/// <summary>
/// What only cluster mode has to get right, on a real PostgreSQL and one blob root shared by two "replicas" (two sets
/// of stores, each with its own connection pool and data directory, as two processes would have): replicas migrating
/// at once, upload claims, blob commits racing each other and garbage collection, job notifications and fencing.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterStorageTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly string _sharedRoot = Temp.Directory("blob-root");
    private string _connectionString = "";
    private StoreSet _a = null!;
    private StoreSet _b = null!;

    public async Task InitializeAsync()
    {
        _connectionString = await postgres.Server.CreateDatabaseAsync();
        _a = await StoreSet.PostgresAsync(_connectionString, _sharedRoot, TimeProvider.System);
        _b = await StoreSet.PostgresAsync(_connectionString, _sharedRoot, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        Temp.Delete(_sharedRoot);
    }

    [Fact]
    public async Task Replicas_migrating_an_empty_database_at_once_all_start_and_apply_the_schema_once()
    {
        string empty = await postgres.Server.CreateDatabaseAsync();
        PostgresDatabase[] replicas = [.. Enumerable.Range(0, 6).Select(_ => new PostgresDatabase(empty))];
        try
        {
            using var start = new Barrier(replicas.Length);
            await Task.WhenAll(replicas.Select(database => Task.Run(async () =>
            {
                start.SignalAndWait();
                await database.InitializeAsync(CancellationToken.None);
            })));

            await using NpgsqlConnection connection = await replicas[0].OpenAsync(CancellationToken.None);
            Assert.Equal(1L, await PostgresDatabase.ScalarAsync(connection, "SELECT count(*) FROM schema_version;", CancellationToken.None));
            Assert.Equal(PostgresDatabase.LatestVersion, await PostgresDatabase.ScalarAsync(connection, "SELECT version FROM schema_version;", CancellationToken.None));
            // A later start finds nothing to do.
            await replicas[0].InitializeAsync(CancellationToken.None);
        }
        finally
        {
            foreach (PostgresDatabase database in replicas)
            {
                await database.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task An_upload_held_by_one_replica_is_refused_to_another_until_released_or_its_connection_dies()
    {
        UploadSession session = await _a.Uploads.GetOrCreateAsync(new UploadHeaderRecord { Name = "u", SizeBytes = 10, Sha256 = new string('c', 64) }, CancellationToken.None);
        UploadSession resumed = (await _b.Uploads.FindAsync("u", 10, new string('c', 64), CancellationToken.None))!;
        Assert.Equal(session.PartPath, resumed.PartPath);
        Assert.StartsWith(_sharedRoot, resumed.PartPath, StringComparison.Ordinal);

        IAsyncDisposable? held = await _a.Uploads.TryAcquireAsync(session.Id, CancellationToken.None);
        Assert.NotNull(held);
        Assert.Null(await _b.Uploads.TryAcquireAsync(session.Id, CancellationToken.None));
        await held.DisposeAsync();

        IAsyncDisposable? taken = await _b.Uploads.TryAcquireAsync(session.Id, CancellationToken.None);
        Assert.NotNull(taken);
        Assert.Null(await _a.Uploads.TryAcquireAsync(session.Id, CancellationToken.None));

        // The replica holding it loses its database session (crash, network): the claim goes with it.
        await TerminateAsync($"SELECT pg_terminate_backend(pid, 60000) FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = {PostgresDatabase.UploadLockClass} AND granted;");
        IAsyncDisposable? afterCrash = await _a.Uploads.TryAcquireAsync(session.Id, CancellationToken.None);
        Assert.NotNull(afterCrash);
        await afterCrash.DisposeAsync();
        await taken.DisposeAsync();
    }

    [Fact]
    public async Task Replicas_committing_the_same_content_at_once_all_succeed_with_one_complete_blob()
    {
        byte[] content = new byte[256 * 1024];
        new Random(3).NextBytes(content);
        StoreSet[] replicas = [_a, _b];
        using var start = new Barrier(4);
        DatasetRecord?[] committed = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            StoreSet replica = replicas[i % 2];
            string file = replica.WriteTempFile(content);
            start.SignalAndWait();
            return await CommitDatasetAsync(replica, "same-" + i, file);
        })));

        Assert.All(committed, Assert.NotNull);
        string sha256 = committed[0]!.Blob.Sha256;
        Assert.Equal(content, await File.ReadAllBytesAsync(_b.Blobs.PathOf(sha256)));
        Assert.Single(Directory.EnumerateFiles(_a.Directory.BlobRoot, "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(_a.Directory.StagingRoot));
        Assert.Empty(await PinsAsync());
    }

    [Fact]
    public async Task Garbage_collection_on_another_replica_keeps_a_blob_whose_commit_is_in_progress()
    {
        int collectedMeanwhile = -1;
        bool existedMeanwhile = false;
        var dataset = new DatasetRecord { Id = Ids.New(Ids.Dataset), Name = "in-flight", Kind = DatasetRecordKind.RawFile };
        BlobRecord? blob = await _a.Blobs.CommitAsync(_a.WriteTempFile([1, 2, 3, 4, 5]), null, async committed =>
        {
            // The blob is in place and not yet referenced by any record: replica B starts and sweeps now.
            collectedMeanwhile = await _b.Blobs.CollectGarbageAsync(CancellationToken.None);
            existedMeanwhile = _b.Blobs.Exists(committed.Sha256);
            dataset.Blob = committed;
            return await _a.Catalog.TryInsertDatasetAsync(dataset, CancellationToken.None);
        }, CancellationToken.None);

        Assert.NotNull(blob);
        Assert.Equal(0, collectedMeanwhile);
        Assert.True(existedMeanwhile);
        Assert.True(_b.Blobs.Exists(blob.Sha256));
        Assert.Equal(0, await _b.Blobs.CollectGarbageAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Deleting_the_last_record_of_a_blob_while_another_replica_commits_the_same_content_keeps_the_blob()
    {
        DatasetRecord old = (await CommitDatasetAsync(_a, "old", _a.WriteTempFile([8, 8, 8])))!;
        long? freedMeanwhile = null;
        var fresh = new DatasetRecord { Id = Ids.New(Ids.Dataset), Name = "fresh", Kind = DatasetRecordKind.RawFile };
        BlobRecord? blob = await _b.Blobs.CommitAsync(_b.WriteTempFile([8, 8, 8]), null, async committed =>
        {
            freedMeanwhile = await _a.Catalog.DeleteDatasetAsync(old.Id, CancellationToken.None);
            fresh.Blob = committed;
            return await _b.Catalog.TryInsertDatasetAsync(fresh, CancellationToken.None);
        }, CancellationToken.None);

        Assert.Equal(0, freedMeanwhile);
        Assert.Equal([8, 8, 8], await File.ReadAllBytesAsync(_a.Blobs.PathOf(blob!.Sha256)));
    }

    [Fact]
    public async Task A_pin_older_than_the_grace_period_on_the_database_clock_no_longer_protects_its_blob()
    {
        string stale = new('d', 64);
        string fresh = new('e', 64);
        foreach (string sha256 in new[] { stale, fresh })
        {
            string path = _a.Blobs.PathOf(sha256);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, [1]);
            await File.WriteAllBytesAsync(Path.Combine(_a.Directory.StagingRoot, sha256 + ".left"), [1]);
        }

        // A replica died mid-commit two hours ago (by the database's clock); another is committing right now.
        await ExecuteAsync($"INSERT INTO blob_pins (pin, sha256, pinned_at) VALUES (gen_random_uuid(), '{stale}', now() - interval '2 hours'), (gen_random_uuid(), '{fresh}', now());");
        await using var gc = await StoreSet.PostgresAsync(_connectionString, _sharedRoot, TimeProvider.System, grace: TimeSpan.FromHours(1));

        Assert.Equal(1, await gc.Blobs.CollectGarbageAsync(CancellationToken.None));

        Assert.False(gc.Blobs.Exists(stale));
        Assert.False(File.Exists(Path.Combine(_a.Directory.StagingRoot, stale + ".left")));
        Assert.True(gc.Blobs.Exists(fresh));
        Assert.True(File.Exists(Path.Combine(_a.Directory.StagingRoot, fresh + ".left")));
        Assert.Equal([fresh], await PinsAsync());
    }

    [Fact]
    public async Task Replicas_claiming_at_once_each_get_distinct_jobs_and_every_job_is_claimed_once()
    {
        for (int i = 0; i < 12; i++)
        {
            await _a.Jobs.InsertAsync(NewJob(), new JobSpecRecord(), CancellationToken.None);
        }

        StoreSet[] replicas = [_a, _b];
        List<ClaimedJob>[] claimed = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            var mine = new List<ClaimedJob>();
            while (await replicas[i % 2].Jobs.ClaimNextAsync(Claim("runner-" + i), CancellationToken.None) is { } job)
            {
                mine.Add(job);
            }

            return mine;
        })));

        // Each claimant stops at its first null: a null while jobs are queued would leave them unclaimed here.
        List<ClaimedJob> all = [.. claimed.SelectMany(c => c)];
        Assert.Equal(12, all.Select(c => c.Job.Id).Distinct().Count());
        Assert.Equal(12, all.Count);
        Assert.All(all, c => Assert.Equal(1, c.Lease.Generation));
    }

    [Fact]
    public async Task A_claim_while_another_transaction_holds_the_head_locked_waits_for_it_and_takes_the_head()
    {
        JobRecord head = NewJob();
        JobRecord behind = NewJob();
        await _a.Jobs.InsertAsync(head, new JobSpecRecord(), CancellationToken.None);
        await _a.Jobs.InsertAsync(behind, new JobSpecRecord(), CancellationToken.None);

        Task<ClaimedJob?> claim;
        await using (var connection = new NpgsqlConnection(_connectionString))
        {
            await connection.OpenAsync();
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync();
            // A cancel or release in flight (or, before claims took turns, another claimant deciding): the claim
            // must wait for it, not report an empty queue (which left queued jobs to the next poll) nor take the job
            // behind the head.
            await using (var command = new NpgsqlCommand($"SELECT id FROM jobs WHERE id = '{head.Id}' FOR UPDATE;", connection))
            {
                await command.ExecuteNonQueryAsync();
            }

            claim = _b.Jobs.ClaimNextAsync(Claim("b"), CancellationToken.None);
            await Eventually.HoldsAsync(async () => claim.IsCompleted || await WaitingForALockAsync(), "the claim waiting for the row lock");
            await transaction.RollbackAsync();
        }

        Assert.Equal(head.Id, (await claim)?.Job.Id);
        Assert.Equal(behind.Id, (await _b.Jobs.ClaimNextAsync(Claim("b"), CancellationToken.None))!.Job.Id);
    }

    [Fact]
    public async Task A_listener_hears_job_changes_made_on_another_replica_and_again_after_losing_its_connection()
    {
        await using var database = new PostgresDatabase(_connectionString + ";Application Name=disco-listener");
        var notifications = new PostgresJobNotifications(database, TimeProvider.System, NullLogger<PostgresJobNotifications>.Instance);
        var listening = new SemaphoreSlim(0);
        notifications.Listening += () => listening.Release();
        using var stop = new CancellationTokenSource();
        await using IAsyncEnumerator<string> heard = notifications.ListenAsync(stop.Token).GetAsyncEnumerator(stop.Token);
        ValueTask<bool> next = heard.MoveNextAsync();
        Assert.True(await listening.WaitAsync(Eventually.Guard));

        // A new unpinned job may be claimed by any replica: its notice says so (it wakes their claim loops).
        JobRecord job = NewJob();
        await _b.Jobs.InsertAsync(job, new JobSpecRecord(), CancellationToken.None);
        Assert.True(await next.AsTask().WaitAsync(Eventually.Guard));
        Assert.Equal((job.Id, true), JobChangeNotices.Parse(heard.Current));

        // The holder's writes wake watchers only: nothing became claimable.
        ClaimedJob claim = (await _b.Jobs.ClaimNextAsync(Claim("b"), CancellationToken.None))!;
        job.State = JobRecordState.Running;
        Assert.True(await _b.Jobs.UpdateAsync(job, claim.Lease, CancellationToken.None));
        Assert.True(await heard.MoveNextAsync().AsTask().WaitAsync(Eventually.Guard));
        Assert.Equal((job.Id, false), JobChangeNotices.Parse(heard.Current));

        // A cancel requested on another replica is heard by the holder's side at once.
        Assert.True(await _a.Jobs.RequestCancelAsync(job.Id, CancellationToken.None));
        Assert.True(await heard.MoveNextAsync().AsTask().WaitAsync(Eventually.Guard));
        Assert.Equal((job.Id, true), JobChangeNotices.Parse(heard.Current));

        // The listener's connection dies; it reconnects and hears the next change.
        next = heard.MoveNextAsync();
        await TerminateAsync("SELECT pg_terminate_backend(pid, 60000) FROM pg_stat_activity WHERE application_name = 'disco-listener';");
        Assert.True(await listening.WaitAsync(Eventually.Guard));
        job.State = JobRecordState.Succeeded;
        Assert.True(await _b.Jobs.UpdateAsync(job, claim.Lease, CancellationToken.None));
        Assert.True(await next.AsTask().WaitAsync(Eventually.Guard));
        Assert.Equal(job.Id, JobChangeNotices.Parse(heard.Current).JobId);
        await stop.CancelAsync();
    }

    private static JobRecord NewJob() =>
        new() { Id = Ids.New(Ids.Job), Kind = JobRecordKind.Ingest, State = JobRecordState.Queued, Device = "cpu", Attempt = 1 };

    private static JobClaimRequest Claim(string owner) =>
        new(owner, "replica-" + owner, [new JobLaneSlot("cpu", 0, 100, false)], [JobRecordKind.Training], TimeSpan.FromMinutes(1));

    private static async Task<DatasetRecord?> CommitDatasetAsync(StoreSet replica, string name, string file)
    {
        var dataset = new DatasetRecord { Id = Ids.New(Ids.Dataset), Name = name, Kind = DatasetRecordKind.RawFile };
        BlobRecord? blob = await replica.Blobs.CommitAsync(file, null, committed =>
        {
            dataset.Blob = committed;
            return replica.Catalog.TryInsertDatasetAsync(dataset, CancellationToken.None);
        }, CancellationToken.None);
        return blob is null ? null : dataset;
    }

    private async Task<List<string>> PinsAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT sha256 FROM blob_pins;", connection);
        var pins = new List<string>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            pins.Add(reader.GetString(0));
        }

        return pins;
    }

    private async Task<bool> WaitingForALockAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock';", connection);
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await PostgresDatabase.ExecuteAsync(connection, sql, CancellationToken.None);
    }

    private Task TerminateAsync(string sql) => ExecuteAsync(sql);
}
