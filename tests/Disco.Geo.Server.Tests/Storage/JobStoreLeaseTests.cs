using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Disco.Geo.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Disco.Geo.Server.Tests.Storage;

/// <summary>
/// The claim / heartbeat / release contract of <see cref="IJobStore"/> on the real SQLite store, with the lease clock
/// driven by hand: a job is claimed by one owner at a time, a renewed lease holds, an expired one can be taken over.
/// </summary>
public sealed class JobStoreLeaseTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private readonly string _root = Temp.Directory("job-store");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    private DataDirectory? _directory;
    private SqliteJobStore _store = null!;

    public async Task InitializeAsync()
    {
        _directory = new DataDirectory(_root);
        var database = new MetadataDatabase(_directory);
        await database.InitializeAsync(CancellationToken.None);
        _store = new SqliteJobStore(database, _time);
    }

    public Task DisposeAsync()
    {
        _directory?.Dispose();
        Temp.Delete(_root);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_job_is_claimed_by_one_owner_until_its_lease_expires()
    {
        string id = await InsertAsync();

        Assert.True(await _store.TryClaimAsync(id, "a", Lease, CancellationToken.None));
        Assert.False(await _store.TryClaimAsync(id, "b", Lease, CancellationToken.None));
        // Claiming again is harmless for the holder (a retried claim after a lost reply).
        Assert.True(await _store.TryClaimAsync(id, "a", Lease, CancellationToken.None));

        _time.Advance(Lease - TimeSpan.FromSeconds(1));
        Assert.False(await _store.TryClaimAsync(id, "b", Lease, CancellationToken.None));

        // Not renewed: the owner is presumed dead and the job can be taken over.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await _store.TryClaimAsync(id, "b", Lease, CancellationToken.None));
        Assert.False(await _store.RenewAsync(id, "a", Lease, CancellationToken.None));
    }

    [Fact]
    public async Task A_renewed_lease_holds_past_its_first_expiry_and_a_released_one_is_free_at_once()
    {
        string id = await InsertAsync();
        Assert.True(await _store.TryClaimAsync(id, "a", Lease, CancellationToken.None));

        _time.Advance(Lease / 2);
        Assert.True(await _store.RenewAsync(id, "a", Lease, CancellationToken.None));
        _time.Advance(Lease * 3 / 4);
        Assert.False(await _store.TryClaimAsync(id, "b", Lease, CancellationToken.None));

        // Releasing someone else's lease does nothing; the holder's release frees the job.
        await _store.ReleaseAsync(id, "b", CancellationToken.None);
        Assert.False(await _store.TryClaimAsync(id, "b", Lease, CancellationToken.None));
        await _store.ReleaseAsync(id, "a", CancellationToken.None);
        Assert.True(await _store.TryClaimAsync(id, "b", Lease, CancellationToken.None));
        Assert.False(await _store.RenewAsync(id, "a", Lease, CancellationToken.None));
    }

    [Fact]
    public async Task Releasing_all_leases_at_start_frees_the_jobs_of_a_dead_process()
    {
        string first = await InsertAsync();
        string second = await InsertAsync();
        Assert.True(await _store.TryClaimAsync(first, "dead", Lease, CancellationToken.None));
        Assert.True(await _store.TryClaimAsync(second, "dead", Lease, CancellationToken.None));

        await _store.ReleaseAllAsync(CancellationToken.None);

        Assert.True(await _store.TryClaimAsync(first, "next", Lease, CancellationToken.None));
        Assert.True(await _store.TryClaimAsync(second, "next", Lease, CancellationToken.None));
    }

    [Fact]
    public async Task A_second_job_with_the_same_request_id_is_reported_by_the_store_not_as_a_sqlite_error()
    {
        await InsertAsync("retry-1");

        RequestIdTakenException e = await Assert.ThrowsAsync<RequestIdTakenException>(() => InsertAsync("retry-1"));
        Assert.Equal("retry-1", e.RequestId);
        Assert.NotNull(await _store.FindByRequestIdAsync("retry-1", CancellationToken.None));
    }

    [Fact]
    public async Task Specs_checkpoints_and_lists_round_trip()
    {
        string id = await InsertAsync();
        JobSpecRecord spec = await _store.GetSpecAsync(id, CancellationToken.None);
        Assert.Equal("type.googleapis.com/disco.geo.v1.StartTrainingRequest", spec.TypeUrl);
        Assert.Null(await _store.GetCheckpointAsync(id, CancellationToken.None));
        await _store.SaveCheckpointAsync(id, [1, 2, 3], CancellationToken.None);
        Assert.Equal([1, 2, 3], await _store.GetCheckpointAsync(id, CancellationToken.None));

        JobRecord job = (await _store.GetAsync(id, CancellationToken.None))!;
        job.State = JobRecordState.Running;
        await _store.UpdateAsync(job, CancellationToken.None);
        RecordPage<JobRecord> running = await _store.ListAsync(new JobQuery(null, 10) { State = JobRecordState.Running }, CancellationToken.None);
        Assert.Equal(id, Assert.Single(running.Items).Id);
        Assert.Empty((await _store.ListAsync(new JobQuery(null, 10) { Kind = JobRecordKind.Ingest }, CancellationToken.None)).Items);
    }

    private async Task<string> InsertAsync(string requestId = "")
    {
        var job = new JobRecord { Id = Ids.New(Ids.Job), Kind = JobRecordKind.Training, State = JobRecordState.Queued, RequestId = requestId, Device = "cpu" };
        await _store.InsertAsync(job, new JobSpecRecord { TypeUrl = "type.googleapis.com/disco.geo.v1.StartTrainingRequest" }, CancellationToken.None);
        return job.Id;
    }
}
