using System.Collections.Concurrent;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Jobs.Handlers;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Disco.Geo.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Disco.Geo.Server.Tests.Cluster;

/// <summary>
/// Two job runners on one SQLite database acting as two replicas of a cluster, each on its own fake clock (its
/// heartbeats and polls), and the store on a third (lease expiry): a replica whose clock is not advanced is a stalled
/// or dead one.
/// </summary>
public sealed class ClusterJobRunnerTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(60);
    private readonly string _root = Temp.Directory("cluster");
    private readonly FakeTimeProvider _storeTime = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    private readonly List<Replica> _replicas = [];
    private DataDirectory _directory = null!;
    private SqliteJobStore _store = null!;
    private SqliteCatalog _catalog = null!;
    private LocalBlobStore _blobs = null!;

    public async Task InitializeAsync()
    {
        _directory = new DataDirectory(_root);
        var database = new MetadataDatabase(_directory);
        await database.InitializeAsync(CancellationToken.None);
        _store = new SqliteJobStore(database, _storeTime);
        _blobs = new LocalBlobStore(_directory, database);
        _catalog = new SqliteCatalog(database, _blobs);
    }

    public async Task DisposeAsync()
    {
        // Gated jobs still running stop with their runner (cluster: handed over).
        foreach (Replica replica in _replicas)
        {
            await replica.Runner.StopAsync(CancellationToken.None);
        }

        _directory.Dispose();
        Temp.Delete(_root);
    }

    [Fact]
    public async Task Every_job_runs_exactly_once_across_two_replicas()
    {
        var runs = new ConcurrentBag<(string JobId, int Attempt, string Replica)>();
        Replica a = await StartAsync("a", new Dictionary<string, int> { ["cpu"] = 2 }, new RecordingHandler("a", runs));
        Replica b = await StartAsync("b", new Dictionary<string, int> { ["cpu"] = 2 }, new RecordingHandler("b", runs));

        var ids = new List<string>();
        for (int i = 0; i < 16; i++)
        {
            ids.Add((await (i % 2 == 0 ? a : b).Runner.SubmitAsync(Submission(JobKind.Verify), CancellationToken.None)).Id);
        }

        await PollUntilAsync(async () => (await Task.WhenAll(ids.Select(id => _store.GetAsync(id, CancellationToken.None)))).All(j => j!.State == JobRecordState.Succeeded), "every job succeeded", a, b);
        Assert.Equal(ids.Order(StringComparer.Ordinal), runs.Select(r => r.JobId).Order(StringComparer.Ordinal));
        foreach (string id in ids)
        {
            JobRecord job = (await _store.GetAsync(id, CancellationToken.None))!;
            JobAttemptRecord attempt = Assert.Single(job.Attempts);
            Assert.Equal((1, 1L), (attempt.Attempt, attempt.LeaseGeneration));
            Assert.Equal(runs.Single(r => r.JobId == id).Replica, attempt.Replica);
        }
    }

    [Fact]
    public async Task A_claimed_job_is_heartbeated_while_the_store_is_slow_to_take_its_start_write()
    {
        // Regression: heartbeats began only after the start-up writes, so a slow store let a live replica's lease expire
        // (seen with three real replicas under load: a job ran twice, the second run fenced).
        var store = new SlowStartJobStore(_store);
        var runs = new ConcurrentBag<(string JobId, int Attempt, string Replica)>();
        var a = new Replica("a", new Dictionary<string, int> { ["cpu"] = 1 }, [new RecordingHandler("a", runs)], store, _directory);
        _replicas.Add(a);
        await a.Runner.RecoverAsync(CancellationToken.None);
        await a.Runner.StartAsync(CancellationToken.None);

        string id = (await a.Runner.SubmitAsync(Submission(JobKind.Verify), CancellationToken.None)).Id;
        try
        {
            await PollUntilAsync(() => Task.FromResult(store.StartWriteArrived.Task.IsCompleted), "the runner began the job's start write", a);
            await PollUntilAsync(() => Task.FromResult(store.RenewedDuringStart.Task.IsCompleted), "the lease was renewed while the start write waited", a);
        }
        finally
        {
            // Also on failure: a start write held forever would hold the runner's shutdown too.
            store.LetStartWriteLand();
        }

        JobRecord job = await WaitFinalAsync(id, a);
        Assert.Equal(JobRecordState.Succeeded, job.State);
        Assert.Equal((1, 1L), (Assert.Single(job.Attempts).Attempt, job.Attempts[0].LeaseGeneration));
    }

    [Fact]
    public async Task A_replica_claims_only_jobs_for_the_devices_it_has()
    {
        var gateA = new GateHandler(JobKind.Verify, exclusive: false);
        var gateB = new GateHandler(JobKind.Verify, exclusive: false);
        Replica a = await StartAsync("a", new Dictionary<string, int> { ["cpu"] = 1 }, gateA);
        Replica b = await StartAsync("b", new Dictionary<string, int> { ["cpu"] = 1, ["cuda"] = 1 }, gateB);

        string id = (await a.Runner.SubmitAsync(Submission(JobKind.Verify, "cuda"), CancellationToken.None)).Id;
        await PollUntilAsync(() => Task.FromResult(gateB.HasStarted(id)), "the GPU replica started the cuda job", a, b);
        Assert.False(gateA.HasStarted(id));
        Assert.Equal("b", Assert.Single((await _store.GetAsync(id, CancellationToken.None))!.Attempts).Replica);
        gateB.Finish(id);
    }

    [Fact]
    public async Task A_replica_whose_lease_expired_loses_the_job_which_resumes_from_its_checkpoint_and_its_late_writes_are_rejected()
    {
        var gateA = new GateHandler(JobKind.Training, exclusive: true);
        var gateB = new GateHandler(JobKind.Training, exclusive: true);
        Replica a = await StartAsync("a", new Dictionary<string, int> { ["cpu"] = 1 }, gateA);
        string id = (await a.Runner.SubmitAsync(Submission(JobKind.Training), CancellationToken.None)).Id;
        await gateA.WaitStartedAsync(id);
        // b starts once a runs the job: its first claim would otherwise race a's for it.
        Replica b = await StartAsync("b", new Dictionary<string, int> { ["cpu"] = 1 }, gateB);

        // Replica a stalls (its clock, and so its heartbeat, stands still) past the lease: b takes the job over.
        _storeTime.Advance(Lease + TimeSpan.FromSeconds(1));
        await PollUntilAsync(() => Task.FromResult(gateB.HasStarted(id, attempt: 2)), "b took the job over", b);
        Assert.Equal("attempt 1", gateB.CheckpointSeen[id]);

        // a wakes up and finishes: its final write and its lease are fenced off, and it lets go of the job.
        gateA.Finish(id);
        await Eventually.HoldsAsync(async () => (await a.Runner.LaneCountsAsync(CancellationToken.None)).Running["cpu"] == 0, "a let go of the job");
        JobRecord during = (await _store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((JobRecordState.Running, 2), (during.State, during.Attempt));
        Assert.Null(during.Result);
        Assert.Equal("attempt 2", System.Text.Encoding.UTF8.GetString((await _store.GetCheckpointAsync(id, CancellationToken.None))!));

        gateB.Finish(id);
        JobRecord final = await WaitFinalAsync(id, b);
        Assert.Equal(JobRecordState.Succeeded, final.State);
        Assert.Equal([("a", 1, 1L), ("b", 2, 2L)], final.Attempts.Select(t => (t.Replica, t.Attempt, t.LeaseGeneration)));
    }

    [Fact]
    public async Task A_jobs_output_is_committed_once_when_a_stale_holder_finishes_late()
    {
        var committerA = new CommittingHandler(_catalog, _blobs, _directory);
        var committerB = new CommittingHandler(_catalog, _blobs, _directory);
        Replica a = await StartAsync("a", new Dictionary<string, int> { ["cpu"] = 1 }, committerA);
        string id = (await a.Runner.SubmitAsync(Submission(JobKind.Training), CancellationToken.None)).Id;
        await committerA.Gate.WaitStartedAsync(id);
        Replica b = await StartAsync("b", new Dictionary<string, int> { ["cpu"] = 1 }, committerB);
        _storeTime.Advance(Lease + TimeSpan.FromSeconds(1));
        await PollUntilAsync(() => Task.FromResult(committerB.Gate.HasStarted(id, attempt: 2)), "b took the job over", b);

        committerB.Gate.Finish(id);
        JobRecord final = await WaitFinalAsync(id, b);
        committerA.Gate.Finish(id);
        await Eventually.HoldsAsync(async () => (await a.Runner.LaneCountsAsync(CancellationToken.None)).Running["cpu"] == 0, "a let go of the job");

        Assert.Equal(JobRecordState.Succeeded, final.State);
        Assert.Equal(Ids.OutputOf(Ids.Model, id), final.Result.ModelId);
        ModelRecord model = Assert.Single((await _catalog.ListModelsAsync(new CatalogQuery(null, 10), CancellationToken.None)).Items);
        Assert.Equal((final.Result.ModelId, id), (model.Id, model.JobId));
        Assert.Equal(["b"], committerA.Committed.Concat(committerB.Committed));
        Assert.Equal(final, await _store.GetAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task Committing_a_jobs_output_twice_stores_it_once()
    {
        string jobId = Ids.New(Ids.Job);
        for (int i = 0; i < 2; i++)
        {
            string file = Temp.File(_directory.Root, "package-" + i, 64, seed: i);
            await StoredRecords.CommitModelAsync(_catalog, _blobs, file, new ModelRecord { Id = Ids.OutputOf(Ids.Model, jobId), Name = "m", JobId = jobId }, CancellationToken.None);
        }

        Assert.Equal(Ids.OutputOf(Ids.Model, jobId), Assert.Single((await _catalog.ListModelsAsync(new CatalogQuery(null, 10), CancellationToken.None)).Items).Id);
        // Another job's output under a taken name is still refused.
        string other = Temp.File(_directory.Root, "package-other", 64, seed: 7);
        await Assert.ThrowsAsync<JobFailedException>(() =>
            StoredRecords.CommitModelAsync(_catalog, _blobs, other, new ModelRecord { Id = Ids.OutputOf(Ids.Model, Ids.New(Ids.Job)), Name = "m" }, CancellationToken.None));
    }

    [Fact]
    public async Task A_prediction_whose_replica_died_is_ended_as_abandoned_by_another_replica_once_the_grace_has_passed_and_not_before()
    {
        var gateA = new GateHandler(JobKind.Prediction, exclusive: false);
        var gateB = new GateHandler(JobKind.Prediction, exclusive: false);
        Replica a = await StartAsync("a", new Dictionary<string, int> { ["cpu"] = 1 }, gateA);
        Replica b = await StartAsync("b", new Dictionary<string, int> { ["cpu"] = 1 }, gateB);
        string id = (await a.Runner.SubmitAsync(Submission(JobKind.Prediction), CancellationToken.None)).Id;
        await gateA.WaitStartedAsync(id);

        // a dies (its clock, so its heartbeats, stand still): its lease and liveness expire, but the grace has not passed.
        _storeTime.Advance(Lease);
        await b.Runner.ReapAbandonedAsync(CancellationToken.None);
        _storeTime.Advance(Grace - TimeSpan.FromSeconds(1));
        await b.Runner.ReapAbandonedAsync(CancellationToken.None);
        Assert.Equal(JobRecordState.Running, (await _store.GetAsync(id, CancellationToken.None))!.State);

        // Past the grace: b's heartbeat loop (on its own clock) ends it. Pinned to a, it was never run by b.
        _storeTime.Advance(TimeSpan.FromSeconds(1));
        JobRecord ended = await WaitFinalAsync(id, b);
        Assert.Equal((JobRecordState.Failed, false), (ended.State, ended.Resumable));
        Assert.Contains("Abandoned: replica 'a' stopped", ended.Error.Message, StringComparison.Ordinal);
        Assert.Contains("same request_id", ended.Error.Message, StringComparison.Ordinal);
        Assert.False(gateB.HasStarted(id));

        // a wakes up and finishes late: fenced off, the abandoned state stands.
        gateA.Finish(id);
        await Eventually.HoldsAsync(async () => (await a.Runner.LaneCountsAsync(CancellationToken.None)).Running["cpu"] == 0, "a let go of the job");
        Assert.Equal(JobRecordState.Failed, (await _store.GetAsync(id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task A_cancel_and_a_resume_from_the_other_replica_reach_the_job()
    {
        var gateA = new GateHandler(JobKind.Training, exclusive: true);
        var gateB = new GateHandler(JobKind.Training, exclusive: true);
        Replica a = await StartAsync("a", new Dictionary<string, int> { ["cpu"] = 1 }, gateA);
        string id = (await a.Runner.SubmitAsync(Submission(JobKind.Training), CancellationToken.None)).Id;
        await gateA.WaitStartedAsync(id);
        // b starts once a runs the job: its first claim would otherwise race a's for it.
        Replica b = await StartAsync("b", new Dictionary<string, int> { ["cpu"] = 1 }, gateB);

        Assert.Equal(JobRecordState.Cancelling, (await b.Runner.CancelAsync(id, CancellationToken.None)).State);
        // a learns of it from its next heartbeat.
        JobRecord cancelled = await WaitFinalAsync(id, a);
        Assert.Equal((JobRecordState.Cancelled, true), (cancelled.State, cancelled.Resumable));

        JobRecord resumed = await b.Runner.ResumeAsync(id, CancellationToken.None);
        Assert.Equal((JobRecordState.Queued, 2), (resumed.State, resumed.Attempt));
        // b woke on its own resume and claims the job (a would at its next poll).
        await PollUntilAsync(() => Task.FromResult(gateA.HasStarted(id, 2) || gateB.HasStarted(id, 2)), "the resumed job started", b);
        (gateB.HasStarted(id, 2) ? gateB : gateA).Finish(id);
        Assert.Equal("attempt 1", (gateB.HasStarted(id, 2) ? gateB : gateA).CheckpointSeen[id]);
        Assert.Equal(JobRecordState.Succeeded, (await WaitFinalAsync(id, a, b)).State);
    }

    [Fact]
    public async Task A_watcher_on_the_other_replica_sees_progress_and_the_final_state()
    {
        var gateA = new GateHandler(JobKind.Training, exclusive: true);
        Replica a = await StartAsync("a", new Dictionary<string, int> { ["cpu"] = 1 }, gateA);
        Replica b = await StartAsync("b", new Dictionary<string, int> { ["io"] = 1 }, new GateHandler(JobKind.Training, exclusive: true));
        string id = (await a.Runner.SubmitAsync(Submission(JobKind.Training), CancellationToken.None)).Id;
        JobContext context = await gateA.WaitStartedAsync(id);

        // b's watch follows the store: a's writes wake it (the in-process feed stands in for LISTEN/NOTIFY), polls on b's clock otherwise.
        var watch = new JobWatch(b.Hub, _store, new AnyJobChanges([a.Changes, new PollingJobChanges(b.Time, Poll)]));
        IAsyncEnumerable<JobRecord> states = (await watch.WatchAsync(id, CancellationToken.None))!;
        await using IAsyncEnumerator<JobRecord> seen = states.GetAsyncEnumerator();
        Assert.True(await seen.MoveNextAsync());
        Assert.Equal(JobRecordState.Running, seen.Current.State);

        context.Report(new JobProgressRecord { Stage = "step", Step = 7, TotalSteps = 10 });
        while (seen.Current.Progress?.Step != 7)
        {
            Assert.True(await seen.MoveNextAsync().AsTask().WaitAsync(Eventually.Guard));
        }

        gateA.Finish(id);
        while (!JobHub.IsFinal(seen.Current.State))
        {
            Assert.True(await seen.MoveNextAsync().AsTask().WaitAsync(Eventually.Guard));
        }

        Assert.Equal(JobRecordState.Succeeded, seen.Current.State);
        Assert.False(await seen.MoveNextAsync());
    }

    private static JobSubmission Submission(JobKind kind, string device = "cpu") =>
        new(kind.ToRecord(), JobSpecs.Of(new StartTrainingRequest { ModelName = "gate" }), device, 0, "gate job", null, []);

    private async Task<Replica> StartAsync(string name, Dictionary<string, int> lanes, params IJobHandler[] handlers)
    {
        var replica = new Replica(name, lanes, handlers, _store, _directory);
        _replicas.Add(replica);
        await replica.Runner.RecoverAsync(CancellationToken.None);
        await replica.Runner.StartAsync(CancellationToken.None);
        return replica;
    }

    /// <summary>Advances the replicas' clocks by a poll interval (their claim loops and heartbeats) until the condition holds.</summary>
    private static Task PollUntilAsync(Func<Task<bool>> condition, string what, params Replica[] replicas) =>
        Eventually.HoldsAsync(async () =>
        {
            if (await condition())
            {
                return true;
            }

            foreach (Replica replica in replicas)
            {
                replica.Time.Advance(Poll);
            }

            return false;
        }, what);

    private async Task<JobRecord> WaitFinalAsync(string id, params Replica[] replicas)
    {
        JobRecord? job = null;
        await PollUntilAsync(async () => (job = await _store.GetAsync(id, CancellationToken.None)) is { } found && JobHub.IsFinal(found.State), "the job ended", replicas);
        return job!;
    }

    private sealed class Replica
    {
        public Replica(string name, Dictionary<string, int> lanes, IJobHandler[] handlers, IJobStore store, DataDirectory directory)
        {
            var cluster = new ClusterOptions { Enabled = true, ReplicaId = name, LeaseDuration = Lease, HeartbeatInterval = Heartbeat, PollInterval = Poll, AbandonedPredictionGrace = Grace };
            var jobs = new JobsOptions { Concurrency = lanes, ProgressPersistInterval = TimeSpan.FromMilliseconds(20) };
            Runner = new JobRunner(store, Hub, Changes, directory, handlers, MsOptions.Create(jobs), MsOptions.Create(cluster), Time, new ServerMetrics(), NullLogger<JobRunner>.Instance);
        }

        public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));

        public JobHub Hub { get; } = new();

        public LocalJobChanges Changes { get; } = new();

        public JobRunner Runner { get; }
    }

    /// <summary>Completes at once, recording which replica ran which attempt.</summary>
    private sealed class RecordingHandler(string replica, ConcurrentBag<(string, int, string)> runs) : IJobHandler
    {
        public JobRecordKind Kind => JobRecordKind.Verify;

        public bool Exclusive => false;

        public Task<JobResultRecord> RunAsync(JobContext context, CancellationToken cancellationToken)
        {
            runs.Add((context.JobId, context.Attempt, replica));
            return Task.FromResult(new JobResultRecord { DatasetId = "done-" + context.JobId });
        }
    }

    /// <summary>A training job that, when let go, commits its model the way <see cref="TrainingJobHandler"/> does.</summary>
    private sealed class CommittingHandler(ICatalog catalog, IBlobStore blobs, DataDirectory directory) : IJobHandler
    {
        public GateHandler Gate { get; } = new(JobKind.Training, exclusive: true);

        public ConcurrentQueue<string> Committed { get; } = new();

        public JobRecordKind Kind => JobRecordKind.Training;

        public bool Exclusive => true;

        public async Task<JobResultRecord> RunAsync(JobContext context, CancellationToken cancellationToken)
        {
            await Gate.RunAsync(context, cancellationToken);
            string package = directory.NewTempPath(".package");
            await File.WriteAllTextAsync(package, "model of " + context.JobId + " attempt " + context.Attempt, cancellationToken);
            var model = new ModelRecord { Id = Ids.OutputOf(Ids.Model, context.JobId), Name = "model-" + context.JobId, JobId = context.JobId };
            await context.EnsureLeaseAsync(cancellationToken);
            await StoredRecords.CommitModelAsync(catalog, blobs, package, model, cancellationToken);
            Committed.Enqueue(context.Attempt == 1 ? "a" : "b");
            return new JobResultRecord { ModelId = model.Id };
        }
    }
}
