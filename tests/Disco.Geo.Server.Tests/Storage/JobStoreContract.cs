using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Disco.Geo.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Disco.Geo.Server.Tests.Storage;

/// <summary>
/// The semantics of <see cref="IJobStore"/> every store must have (the queue, leases, fencing, cancel requests), with
/// the store's clock driven by hand. Derive once per store: SQLite here, PostgreSQL where it is built.
/// </summary>
public abstract class JobStoreContract : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private static readonly JobRecordKind[] TrainingExclusive = [JobRecordKind.Training];

    /// <summary>The store's clock: leases expire when it is advanced.</summary>
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));

    private IJobStore _store = null!;

    /// <summary>A fresh, empty store reading its clock from <see cref="Time"/>.</summary>
    internal abstract Task<IJobStore> CreateStoreAsync(TimeProvider time);

    /// <summary>Frees what <see cref="CreateStoreAsync"/> made.</summary>
    protected abstract Task DisposeStoreAsync();

    public async Task InitializeAsync() => _store = await CreateStoreAsync(Time);

    public Task DisposeAsync() => DisposeStoreAsync();

    [Fact]
    public async Task Claims_take_the_head_by_priority_then_age_and_each_claim_increments_the_generation()
    {
        string old = await InsertAsync(priority: 0);
        string urgent = await InsertAsync(priority: 5);
        string young = await InsertAsync(priority: 0);

        ClaimedJob first = (await ClaimAsync("a", Cpu(running: 0, capacity: 10)))!;
        Assert.Equal((urgent, 1L, "a"), (first.Job.Id, first.Lease.Generation, first.Lease.Owner));
        Assert.Equal(JobRecordState.Queued, first.Job.State);
        Assert.Equal(old, (await ClaimAsync("a", Cpu(1, 10)))!.Job.Id);
        Assert.Equal(young, (await ClaimAsync("a", Cpu(2, 10)))!.Job.Id);
        Assert.Null(await ClaimAsync("a", Cpu(3, 10)));
    }

    [Fact]
    public async Task A_full_lane_claims_nothing_and_an_exclusive_head_waits_for_an_idle_lane_without_being_overtaken()
    {
        string training = await InsertAsync(kind: JobRecordKind.Training);
        await InsertAsync(kind: JobRecordKind.Prediction);

        Assert.Null(await ClaimAsync("a", Cpu(running: 2, capacity: 2)));
        // One job runs: the training head may not start, and the prediction behind it may not overtake it.
        Assert.Null(await ClaimAsync("a", Cpu(running: 1, capacity: 2)));
        Assert.Equal(training, (await ClaimAsync("a", Cpu(running: 0, capacity: 2)))!.Job.Id);
        // The exclusive job runs: nothing starts beside it.
        Assert.Null(await ClaimAsync("a", [new JobLaneSlot("cpu", 1, 2, ExclusiveRunning: true)]));
        Assert.NotNull(await ClaimAsync("a", Cpu(running: 0, capacity: 2)));
    }

    [Fact]
    public async Task A_claimant_gets_only_jobs_for_its_devices_and_jobs_pinned_to_its_replica()
    {
        string gpu = await InsertAsync(device: "cuda");
        string pinned = await InsertAsync(pinnedReplica: "r1");

        Assert.Null(await ClaimAsync("r2/a", Cpu(0, 4), replica: "r2"));
        Assert.Equal(pinned, (await ClaimAsync("r1/a", Cpu(0, 4), replica: "r1"))!.Job.Id);
        Assert.Null(await ClaimAsync("r1/a", Cpu(1, 4), replica: "r1"));
        Assert.Equal(gpu, (await ClaimAsync("r2/a", [.. Cpu(0, 4), new JobLaneSlot("cuda", 0, 1, false)], replica: "r2"))!.Job.Id);

        // A single node gives devices it does not list a lane of their own.
        string other = await InsertAsync(device: "tpu");
        Assert.Null(await ClaimAsync("a", Cpu(0, 4)));
        Assert.Equal(other, (await _store.ClaimNextAsync(Request("a", Cpu(0, 4)) with { UnlistedLaneCapacity = 1 }, CancellationToken.None))!.Job.Id);
    }

    [Fact]
    public async Task A_pinned_job_moves_to_another_replica_only_once_nobody_holds_its_lease_and_the_new_claim_fences_the_old_holder()
    {
        string id = await InsertAsync(pinnedReplica: "r1");
        ClaimedJob a = (await ClaimAsync("r1/a", Cpu(0, 1), replica: "r1"))!;
        JobRecord running = a.Job.Clone();
        running.State = JobRecordState.Running;
        Assert.True(await _store.UpdateAsync(running, a.Lease, CancellationToken.None));

        JobRecord moved = running.Clone();
        moved.PinnedReplica = "r2";
        // r1 holds a live lease: the job stays with r1.
        Assert.False(await _store.TryRepinAsync(moved, "r1", CancellationToken.None));

        Time.Advance(Lease);
        // The expected previous replica must match (a concurrent re-pin by a third replica wins once).
        Assert.False(await _store.TryRepinAsync(moved, "r3", CancellationToken.None));
        Assert.True(await _store.TryRepinAsync(moved, "r1", CancellationToken.None));
        Assert.False(await _store.TryRepinAsync(moved, "r1", CancellationToken.None));
        Assert.Equal("r2", (await _store.GetAsync(id, CancellationToken.None))!.PinnedReplica);

        // Now only r2 claims it, as a take-over (still running, next generation), and r1's writes are fenced off.
        Assert.Null(await ClaimAsync("r1/a", Cpu(0, 1), replica: "r1"));
        ClaimedJob b = (await ClaimAsync("r2/b", Cpu(0, 1), replica: "r2"))!;
        Assert.Equal((id, JobRecordState.Running, 2L), (b.Job.Id, b.Job.State, b.Lease.Generation));
        Assert.False(await _store.UpdateAsync(running, a.Lease, CancellationToken.None));

        // A finished job is never moved.
        JobRecord done = b.Job.Clone();
        done.State = JobRecordState.Succeeded;
        Assert.True(await _store.UpdateAsync(done, b.Lease, CancellationToken.None));
        await _store.ReleaseAsync(id, b.Lease, CancellationToken.None);
        done.PinnedReplica = "r3";
        Assert.False(await _store.TryRepinAsync(done, "r2", CancellationToken.None));
    }

    [Fact]
    public async Task A_queued_pinned_job_stays_with_its_replica_while_the_replica_is_alive_and_moves_once_its_liveness_expired()
    {
        // Regression: a queued prediction has no lease, so it was moved away from a live replica whose call still waited for it.
        string id = await InsertAsync(pinnedReplica: "r1");
        await _store.RenewReplicaAsync("r1", Lease, CancellationToken.None);
        JobRecord moved = (await _store.GetAsync(id, CancellationToken.None))!;
        moved.PinnedReplica = "r2";

        Assert.False(await _store.TryRepinAsync(moved, "r1", CancellationToken.None));
        Time.Advance(Lease - TimeSpan.FromSeconds(1));
        Assert.False(await _store.TryRepinAsync(moved, "r1", CancellationToken.None));
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await _store.TryRepinAsync(moved, "r1", CancellationToken.None));
        Assert.Equal("r2", (await _store.GetAsync(id, CancellationToken.None))!.PinnedReplica);

        // A replica that stopped cleanly says so (liveness ends now): its queued job may move at once.
        string other = await InsertAsync(pinnedReplica: "r3");
        await _store.RenewReplicaAsync("r3", Lease, CancellationToken.None);
        await _store.RenewReplicaAsync("r3", TimeSpan.Zero, CancellationToken.None);
        JobRecord otherMoved = (await _store.GetAsync(other, CancellationToken.None))!;
        otherMoved.PinnedReplica = "r2";
        Assert.True(await _store.TryRepinAsync(otherMoved, "r3", CancellationToken.None));
    }

    [Fact]
    public async Task A_running_pinned_job_whose_lease_expired_stays_while_its_replica_is_still_alive()
    {
        string id = await InsertAsync(pinnedReplica: "r1");
        ClaimedJob a = (await ClaimAsync("r1/a", Cpu(0, 1), replica: "r1"))!;
        Time.Advance(Lease);
        // The job's lease lapsed (a stalled heartbeat) but the replica still renews its liveness: no move.
        await _store.RenewReplicaAsync("r1", Lease, CancellationToken.None);
        JobRecord moved = a.Job.Clone();
        moved.PinnedReplica = "r2";
        Assert.False(await _store.TryRepinAsync(moved, "r1", CancellationToken.None));
        Time.Advance(Lease);
        Assert.True(await _store.TryRepinAsync(moved, "r1", CancellationToken.None));
        Assert.Equal("r2", (await _store.GetAsync(id, CancellationToken.None))!.PinnedReplica);
    }

    [Fact]
    public async Task Of_two_replicas_re_pinning_one_job_at_once_exactly_one_wins_and_the_loser_cannot_take_it_from_the_live_winner()
    {
        string id = await InsertAsync(pinnedReplica: "r1");
        await _store.RenewReplicaAsync("r1", Lease, CancellationToken.None);
        Time.Advance(Lease);
        await _store.RenewReplicaAsync("r2", Lease, CancellationToken.None);
        await _store.RenewReplicaAsync("r3", Lease, CancellationToken.None);
        JobRecord stored = (await _store.GetAsync(id, CancellationToken.None))!;

        // Both start together (a barrier, not a sleep), each from the pin it read: r1.
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<bool> RepinAsync(string replica)
        {
            JobRecord mine = stored.Clone();
            mine.PinnedReplica = replica;
            await go.Task;
            return await _store.TryRepinAsync(mine, "r1", CancellationToken.None);
        }

        Task<bool> viaR2 = Task.Run(() => RepinAsync("r2"));
        Task<bool> viaR3 = Task.Run(() => RepinAsync("r3"));
        go.SetResult();
        bool[] won = await Task.WhenAll(viaR2, viaR3);

        Assert.Single(won, w => w);
        string winner = won[0] ? "r2" : "r3";
        string loser = won[0] ? "r3" : "r2";
        Assert.Equal(winner, (await _store.GetAsync(id, CancellationToken.None))!.PinnedReplica);
        // The loser reads the new pin and tries again from it: the winner is alive, so the job stays (the loser follows).
        JobRecord retry = (await _store.GetAsync(id, CancellationToken.None))!;
        retry.PinnedReplica = loser;
        Assert.False(await _store.TryRepinAsync(retry, winner, CancellationToken.None));
        Assert.Equal(winner, (await _store.GetAsync(id, CancellationToken.None))!.PinnedReplica);
    }

    [Fact]
    public async Task A_pinned_job_is_abandoned_only_after_its_replica_and_lease_expired_by_the_grace_and_never_once_re_pinned()
    {
        TimeSpan grace = TimeSpan.FromMinutes(5);
        string queued = await InsertAsync(pinnedReplica: "r1");
        string running = await InsertAsync(pinnedReplica: "r1");
        string repinned = await InsertAsync(pinnedReplica: "r1");
        await _store.RenewReplicaAsync("r1", Lease, CancellationToken.None);
        ClaimedJob held = (await _store.ClaimNextAsync(Request("r1/a", Cpu(0, 1)), CancellationToken.None))!;
        Assert.Equal(queued, held.Job.Id);
        // The first claim took the oldest; make "running" the held one by claiming it too (lane of 3).
        ClaimedJob heldRunning = (await ClaimAsync("r1/a", Cpu(1, 3)))!;
        Assert.Equal(running, heldRunning.Job.Id);
        await _store.ReleaseAsync(queued, held.Lease, CancellationToken.None);

        JobRecord Ended(string id)
        {
            var job = new JobRecord { Id = id, State = JobRecordState.Failed, PinnedReplica = "r1", Error = new JobErrorRecord { Message = "abandoned" } };
            return job;
        }

        // Renewed once more: the lease on "running" and r1's liveness both end one lease from now.
        await _store.RenewAsync(running, heldRunning.Lease, Lease, CancellationToken.None);
        Time.Advance(Lease);
        JobRecord moved = (await _store.GetAsync(repinned, CancellationToken.None))!;
        moved.PinnedReplica = "r2";
        Assert.True(await _store.TryRepinAsync(moved, "r1", CancellationToken.None));
        await _store.RenewReplicaAsync("r2", TimeSpan.FromDays(1), CancellationToken.None);

        Time.Advance(grace - TimeSpan.FromSeconds(1));
        Assert.False(await _store.TryAbandonAsync(Ended(queued), "r1", grace, CancellationToken.None));
        Assert.False(await _store.TryAbandonAsync(Ended(running), "r1", grace, CancellationToken.None));
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await _store.TryAbandonAsync(Ended(queued), "r1", grace, CancellationToken.None));
        Assert.True(await _store.TryAbandonAsync(Ended(running), "r1", grace, CancellationToken.None));
        // Re-pinned to a live replica: not abandoned under either pin.
        Assert.False(await _store.TryAbandonAsync(Ended(repinned), "r1", grace, CancellationToken.None));
        Assert.False(await _store.TryAbandonAsync(Ended(repinned), "r2", grace, CancellationToken.None));

        foreach (string id in new[] { queued, running })
        {
            JobRecord ended = (await _store.GetAsync(id, CancellationToken.None))!;
            Assert.Equal((JobRecordState.Failed, "abandoned"), (ended.State, ended.Error.Message));
            // Final: never claimed again, never abandoned twice.
            Assert.False(await _store.TryAbandonAsync(Ended(id), "r1", grace, CancellationToken.None));
        }

        Assert.Equal(JobRecordState.Queued, (await _store.GetAsync(repinned, CancellationToken.None))!.State);
        Assert.Null(await _store.ClaimNextAsync(Request("r1/b", Cpu(0, 9)), CancellationToken.None));
        Assert.Equal(repinned, (await _store.ClaimNextAsync(Request("r2/b", Cpu(0, 9), replica: "r2"), CancellationToken.None))!.Job.Id);
    }

    [Fact]
    public async Task Concurrent_claimants_never_get_the_same_job()
    {
        var ids = new List<string>();
        for (int i = 0; i < 30; i++)
        {
            ids.Add(await InsertAsync());
        }

        async Task<List<ClaimedJob>> ClaimAllAsync(string owner)
        {
            var mine = new List<ClaimedJob>();
            while (await ClaimAsync(owner, Cpu(0, 1000)) is { } claimed)
            {
                mine.Add(claimed);
            }

            return mine;
        }

        List<ClaimedJob>[] claims = await Task.WhenAll(Task.Run(() => ClaimAllAsync("a")), Task.Run(() => ClaimAllAsync("b")), Task.Run(() => ClaimAllAsync("c")));
        List<ClaimedJob> all = [.. claims.SelectMany(c => c)];
        Assert.Equal(ids.Order(StringComparer.Ordinal), all.Select(c => c.Job.Id).Order(StringComparer.Ordinal));
        Assert.All(all, c => Assert.Equal(1, c.Lease.Generation));
    }

    [Fact]
    public async Task An_expired_lease_is_taken_over_and_the_stale_holders_writes_are_fenced_off()
    {
        string id = await InsertAsync();
        ClaimedJob a = (await ClaimAsync("a", Cpu(0, 1)))!;
        JobRecord running = a.Job.Clone();
        running.State = JobRecordState.Running;
        Assert.True(await _store.UpdateAsync(running, a.Lease, CancellationToken.None));
        Assert.True(await _store.SaveCheckpointAsync(id, a.Lease, [1], CancellationToken.None));

        Time.Advance(Lease - TimeSpan.FromSeconds(1));
        Assert.Null(await ClaimAsync("b", Cpu(0, 1)));

        // Not renewed: the holder is presumed dead and the job, still running, is claimed again under a new generation.
        Time.Advance(TimeSpan.FromSeconds(1));
        ClaimedJob b = (await ClaimAsync("b", Cpu(0, 1)))!;
        Assert.Equal((id, JobRecordState.Running, 2L), (b.Job.Id, b.Job.State, b.Lease.Generation));

        running.Description = "stale";
        Assert.False(await _store.UpdateAsync(running, a.Lease, CancellationToken.None));
        Assert.False(await _store.SaveCheckpointAsync(id, a.Lease, [9], CancellationToken.None));
        Assert.False((await _store.RenewAsync(id, a.Lease, Lease, CancellationToken.None)).Held);
        // The same owner name with the old generation is fenced off too (a runner that claimed its own job again).
        Assert.False(await _store.UpdateAsync(running, a.Lease with { Owner = "b" }, CancellationToken.None));
        await _store.ReleaseAsync(id, a.Lease, CancellationToken.None);
        Assert.True((await _store.RenewAsync(id, b.Lease, Lease, CancellationToken.None)).Held);

        Assert.Equal([1], await _store.GetCheckpointAsync(id, CancellationToken.None));
        Assert.NotEqual("stale", (await _store.GetAsync(id, CancellationToken.None))!.Description);
        JobRecord done = b.Job.Clone();
        done.State = JobRecordState.Succeeded;
        Assert.True(await _store.UpdateAsync(done, b.Lease, CancellationToken.None));
        Assert.Equal(JobRecordState.Succeeded, (await _store.GetAsync(id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task A_renewed_lease_holds_past_its_first_expiry_and_a_released_one_is_claimable_at_once()
    {
        string id = await InsertAsync();
        ClaimedJob a = (await ClaimAsync("a", Cpu(0, 1)))!;

        Time.Advance(Lease / 2);
        Assert.Equal(new JobLeaseStatus(true, false), await _store.RenewAsync(id, a.Lease, Lease, CancellationToken.None));
        Time.Advance(Lease * 3 / 4);
        Assert.Null(await ClaimAsync("b", Cpu(0, 1)));

        await _store.ReleaseAsync(id, new JobLease("b", a.Lease.Generation), CancellationToken.None);
        Assert.Null(await ClaimAsync("b", Cpu(0, 1)));
        await _store.ReleaseAsync(id, a.Lease, CancellationToken.None);
        Assert.Equal(2, (await ClaimAsync("b", Cpu(0, 1)))!.Lease.Generation);
    }

    [Fact]
    public async Task A_cancel_request_reaches_the_claimant_and_the_holders_heartbeat()
    {
        string queued = await InsertAsync();
        string running = await InsertAsync();
        Assert.True(await _store.RequestCancelAsync(queued, CancellationToken.None));
        ClaimedJob first = (await ClaimAsync("a", Cpu(0, 4)))!;
        Assert.Equal((queued, true), (first.Job.Id, first.CancelRequested));

        ClaimedJob second = (await ClaimAsync("a", Cpu(1, 4)))!;
        Assert.Equal((running, false), (second.Job.Id, second.CancelRequested));
        Assert.False((await _store.RenewAsync(running, second.Lease, Lease, CancellationToken.None)).CancelRequested);
        Assert.True(await _store.RequestCancelAsync(running, CancellationToken.None));
        Assert.Equal(new JobLeaseStatus(true, true), await _store.RenewAsync(running, second.Lease, Lease, CancellationToken.None));

        JobRecord ended = second.Job.Clone();
        ended.State = JobRecordState.Cancelled;
        Assert.True(await _store.UpdateAsync(ended, second.Lease, CancellationToken.None));
        Assert.False(await _store.RequestCancelAsync(running, CancellationToken.None));
        Assert.False(await _store.RequestCancelAsync("job_00000000000000000000000000", CancellationToken.None));
    }

    [Fact]
    public async Task Unclaimed_writes_need_the_expected_state_and_no_live_lease_and_a_requeue_clears_the_cancel_request()
    {
        string id = await InsertAsync();
        JobRecord job = (await _store.GetAsync(id, CancellationToken.None))!;
        job.State = JobRecordState.Cancelled;
        Assert.False(await _store.TryUpdateUnclaimedAsync(job, [JobRecordState.Running], CancellationToken.None));

        ClaimedJob claimed = (await ClaimAsync("a", Cpu(0, 1)))!;
        Assert.False(await _store.TryUpdateUnclaimedAsync(job, [JobRecordState.Queued], CancellationToken.None));
        Time.Advance(Lease);
        Assert.True(await _store.RequestCancelAsync(id, CancellationToken.None));
        Assert.True(await _store.TryUpdateUnclaimedAsync(job, [JobRecordState.Queued], CancellationToken.None));
        Assert.Equal(JobRecordState.Cancelled, (await _store.GetAsync(id, CancellationToken.None))!.State);
        // The write voided the expired lease; its generation stays, so the old holder stays fenced off.
        Assert.False(await _store.UpdateAsync(job, claimed.Lease with { Generation = 2 }, CancellationToken.None));

        job.State = JobRecordState.Queued;
        Assert.True(await _store.TryUpdateUnclaimedAsync(job, [JobRecordState.Cancelled], CancellationToken.None));
        ClaimedJob again = (await ClaimAsync("b", Cpu(0, 1)))!;
        Assert.Equal((2L, false), (again.Lease.Generation, again.CancelRequested));
        Assert.False(await _store.UpdateAsync(job, claimed.Lease, CancellationToken.None));
    }

    [Fact]
    public async Task Releasing_all_leases_at_start_frees_the_jobs_of_a_dead_process()
    {
        await InsertAsync();
        await InsertAsync();
        Assert.NotNull(await ClaimAsync("dead", Cpu(0, 2)));
        Assert.NotNull(await ClaimAsync("dead", Cpu(1, 2)));
        Assert.Null(await ClaimAsync("next", Cpu(0, 2)));

        await _store.ReleaseAllAsync(CancellationToken.None);

        Assert.NotNull(await ClaimAsync("next", Cpu(0, 2)));
        Assert.NotNull(await ClaimAsync("next", Cpu(1, 2)));
    }

    [Fact]
    public async Task Queued_jobs_are_counted_by_device()
    {
        await InsertAsync(device: "cpu");
        await InsertAsync(device: "cpu");
        await InsertAsync(device: "io");
        IReadOnlyDictionary<string, int> counts = await _store.CountQueuedByDeviceAsync(CancellationToken.None);
        Assert.Equal((2, 1), (counts["cpu"], counts["io"]));
    }

    [Fact]
    public async Task A_second_job_with_the_same_request_id_is_reported_by_the_store()
    {
        await InsertAsync(requestId: "retry-1");

        RequestIdTakenException e = await Assert.ThrowsAsync<RequestIdTakenException>(() => InsertAsync(requestId: "retry-1"));
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
        ClaimedJob claimed = (await ClaimAsync("a", Cpu(0, 1)))!;
        Assert.True(await _store.SaveCheckpointAsync(id, claimed.Lease, [1, 2, 3], CancellationToken.None));
        Assert.Equal([1, 2, 3], await _store.GetCheckpointAsync(id, CancellationToken.None));

        JobRecord job = claimed.Job;
        job.State = JobRecordState.Running;
        job.Attempts.Add(new JobAttemptRecord { Attempt = 1, Replica = "r1", LeaseGeneration = claimed.Lease.Generation });
        Assert.True(await _store.UpdateAsync(job, claimed.Lease, CancellationToken.None));
        RecordPage<JobRecord> running = await _store.ListAsync(new JobQuery(null, 10) { State = JobRecordState.Running }, CancellationToken.None);
        Assert.Equal("r1", Assert.Single(Assert.Single(running.Items).Attempts).Replica);
        Assert.Empty((await _store.ListAsync(new JobQuery(null, 10) { Kind = JobRecordKind.Ingest }, CancellationToken.None)).Items);
    }

    private static JobLaneSlot[] Cpu(int running, int capacity) => [new JobLaneSlot("cpu", running, capacity, false)];

    private static JobClaimRequest Request(string owner, IReadOnlyList<JobLaneSlot> lanes, string replica = "r1") =>
        new(owner, replica, lanes, TrainingExclusive, Lease);

    private Task<ClaimedJob?> ClaimAsync(string owner, IReadOnlyList<JobLaneSlot> lanes, string replica = "r1") =>
        _store.ClaimNextAsync(Request(owner, lanes, replica), CancellationToken.None);

    private async Task<string> InsertAsync(
        int priority = 0, JobRecordKind kind = JobRecordKind.Prediction, string device = "cpu", string requestId = "", string pinnedReplica = "")
    {
        var job = new JobRecord
        {
            Id = Ids.New(Ids.Job),
            Kind = kind,
            State = JobRecordState.Queued,
            RequestId = requestId,
            Device = device,
            Priority = priority,
            PinnedReplica = pinnedReplica,
            Attempt = 1,
        };
        await _store.InsertAsync(job, new JobSpecRecord { TypeUrl = "type.googleapis.com/disco.geo.v1.StartTrainingRequest" }, CancellationToken.None);
        return job.Id;
    }
}

/// <summary><see cref="JobStoreContract"/> on the real SQLite store.</summary>
public sealed class SqliteJobStoreContractTests : JobStoreContract
{
    private readonly string _root = Temp.Directory("job-store");
    private DataDirectory? _directory;

    internal override async Task<IJobStore> CreateStoreAsync(TimeProvider time)
    {
        _directory = new DataDirectory(_root);
        var database = new MetadataDatabase(_directory);
        await database.InitializeAsync(CancellationToken.None);
        return new SqliteJobStore(database, time);
    }

    protected override Task DisposeStoreAsync()
    {
        _directory?.Dispose();
        Temp.Delete(_root);
        return Task.CompletedTask;
    }
}
