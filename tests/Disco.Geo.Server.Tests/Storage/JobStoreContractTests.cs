using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Disco.Geo.Server.Tests.Infrastructure;
using Disco.Geo.Server.Tests.Storage.Backends;
using Microsoft.Extensions.Time.Testing;

namespace Disco.Geo.Server.Tests.Storage;

/// <summary>
/// The contract of <see cref="IJobStore"/>, run against each real store (SQLite, PostgreSQL) with the lease clock
/// driven by hand: a job is claimed by one owner at a time, a renewed lease holds, an expired one can be taken over.
/// </summary>
public abstract class JobStoreContractTests : IAsyncLifetime
{
    protected static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    private StoreSet? _stores;

    private IJobStore Store => _stores!.Jobs;

    public async Task InitializeAsync() => _stores = await CreateAsync(_time);

    public async Task DisposeAsync()
    {
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
    }

    private protected abstract Task<StoreSet> CreateAsync(TimeProvider time);

    [Fact]
    public async Task Many_claimants_at_once_leave_exactly_one_owner()
    {
        string id = await InsertAsync();

        bool[] won = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Store.TryClaimAsync(id, "owner-" + i, Lease, CancellationToken.None))));

        Assert.Equal(1, won.Count(w => w));
    }

    [Fact]
    public async Task A_job_is_claimed_by_one_owner_until_its_lease_expires()
    {
        string id = await InsertAsync();

        Assert.True(await Store.TryClaimAsync(id, "a", Lease, CancellationToken.None));
        Assert.False(await Store.TryClaimAsync(id, "b", Lease, CancellationToken.None));
        // Claiming again is harmless for the holder (a retried claim after a lost reply).
        Assert.True(await Store.TryClaimAsync(id, "a", Lease, CancellationToken.None));

        _time.Advance(Lease - TimeSpan.FromSeconds(1));
        Assert.False(await Store.TryClaimAsync(id, "b", Lease, CancellationToken.None));

        // Not renewed: the owner is presumed dead and the job can be taken over.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await Store.TryClaimAsync(id, "b", Lease, CancellationToken.None));
        Assert.False(await Store.RenewAsync(id, "a", Lease, CancellationToken.None));
    }

    [Fact]
    public async Task A_renewed_lease_holds_past_its_first_expiry_and_a_released_one_is_free_at_once()
    {
        string id = await InsertAsync();
        Assert.True(await Store.TryClaimAsync(id, "a", Lease, CancellationToken.None));

        _time.Advance(Lease / 2);
        Assert.True(await Store.RenewAsync(id, "a", Lease, CancellationToken.None));
        _time.Advance(Lease * 3 / 4);
        Assert.False(await Store.TryClaimAsync(id, "b", Lease, CancellationToken.None));

        // Releasing someone else's lease does nothing; the holder's release frees the job.
        await Store.ReleaseAsync(id, "b", CancellationToken.None);
        Assert.False(await Store.TryClaimAsync(id, "b", Lease, CancellationToken.None));
        await Store.ReleaseAsync(id, "a", CancellationToken.None);
        Assert.True(await Store.TryClaimAsync(id, "b", Lease, CancellationToken.None));
        Assert.False(await Store.RenewAsync(id, "a", Lease, CancellationToken.None));
    }

    [Fact]
    public async Task Releasing_all_leases_at_start_frees_the_jobs_of_a_dead_process()
    {
        string first = await InsertAsync();
        string second = await InsertAsync();
        Assert.True(await Store.TryClaimAsync(first, "dead", Lease, CancellationToken.None));
        Assert.True(await Store.TryClaimAsync(second, "dead", Lease, CancellationToken.None));

        await Store.ReleaseAllAsync(CancellationToken.None);

        Assert.True(await Store.TryClaimAsync(first, "next", Lease, CancellationToken.None));
        Assert.True(await Store.TryClaimAsync(second, "next", Lease, CancellationToken.None));
    }

    [Fact]
    public async Task A_second_job_with_the_same_request_id_is_reported_by_the_store_not_as_a_sqlite_error()
    {
        await InsertAsync("retry-1");

        RequestIdTakenException e = await Assert.ThrowsAsync<RequestIdTakenException>(() => InsertAsync("retry-1"));
        Assert.Equal("retry-1", e.RequestId);
        Assert.NotNull(await Store.FindByRequestIdAsync("retry-1", CancellationToken.None));
    }

    [Fact]
    public async Task Specs_checkpoints_and_lists_round_trip()
    {
        string id = await InsertAsync();
        JobSpecRecord spec = await Store.GetSpecAsync(id, CancellationToken.None);
        Assert.Equal("type.googleapis.com/disco.geo.v1.StartTrainingRequest", spec.TypeUrl);
        Assert.Null(await Store.GetCheckpointAsync(id, CancellationToken.None));
        await Store.SaveCheckpointAsync(id, [1, 2, 3], CancellationToken.None);
        Assert.Equal([1, 2, 3], await Store.GetCheckpointAsync(id, CancellationToken.None));

        JobRecord job = (await Store.GetAsync(id, CancellationToken.None))!;
        job.State = JobRecordState.Running;
        await Store.UpdateAsync(job, CancellationToken.None);
        RecordPage<JobRecord> running = await Store.ListAsync(new JobQuery(null, 10) { State = JobRecordState.Running }, CancellationToken.None);
        Assert.Equal(id, Assert.Single(running.Items).Id);
        Assert.Empty((await Store.ListAsync(new JobQuery(null, 10) { Kind = JobRecordKind.Ingest }, CancellationToken.None)).Items);
    }

    private protected async Task<string> InsertAsync(string requestId = "")
    {
        var job = new JobRecord { Id = Ids.New(Ids.Job), Kind = JobRecordKind.Training, State = JobRecordState.Queued, RequestId = requestId, Device = "cpu" };
        await Store.InsertAsync(job, new JobSpecRecord { TypeUrl = "type.googleapis.com/disco.geo.v1.StartTrainingRequest" }, CancellationToken.None);
        return job.Id;
    }
}

/// <summary>The job store contract on SQLite, the embedded default.</summary>
public sealed class SqliteJobStoreContractTests : JobStoreContractTests
{
    private protected override Task<StoreSet> CreateAsync(TimeProvider time) => StoreSet.SqliteAsync(time);
}

/// <summary>The job store contract on PostgreSQL (cluster mode), one fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJobStoreContractTests(PostgresFixture postgres) : JobStoreContractTests
{
    private protected override async Task<StoreSet> CreateAsync(TimeProvider time) =>
        await StoreSet.PostgresAsync(await postgres.Server.CreateDatabaseAsync(), Temp.Directory("blob-root"), time, ownsSharedRoot: true);
}
