using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Disco.Geo.Server.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Disco.Geo.Server.Tests;

public sealed class JobRunnerTests : IAsyncLifetime
{
    private readonly GateHandler _training = new(JobKind.Training, exclusive: true);
    private readonly GateHandler _prediction;
    private TestServer _server = null!;
    private DiscoClient _client = null!;

    public JobRunnerTests() => _prediction = new(JobKind.Prediction, exclusive: false) { MustNotOverlap = _training };

    public async Task InitializeAsync()
    {
        _server = await StartAsync(null);
        _client = _server.Client();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Training_runs_alone_and_queued_jobs_start_by_priority_without_overtaking_the_head()
    {
        Job p1 = await SubmitAsync(JobKind.Prediction, 0);
        await _prediction.WaitStartedAsync(p1.Id);
        Job training = await SubmitAsync(JobKind.Training, 0);
        Job p2 = await SubmitAsync(JobKind.Prediction, 0);
        Job p3 = await SubmitAsync(JobKind.Prediction, 5);

        // p3 outranks the training job and fits next to p1; the training job waits for an idle lane, p2 waits behind it.
        await _prediction.WaitStartedAsync(p3.Id);
        Assert.Equal(JobState.Queued, (await _client.GetJobAsync(training.Id)).State);
        Assert.Equal(JobState.Queued, (await _client.GetJobAsync(p2.Id)).State);
        string metrics = await (await _server.HttpGetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Equal(2, Metrics.Value(metrics, "disco_job_queue_depth{device=\"cpu\"}"));
        Assert.Equal(2, Metrics.Value(metrics, "disco_jobs_running{device=\"cpu\"}"));
        Assert.Equal(1, Metrics.Value(metrics, "disco_jobs{kind=\"prediction\",state=\"queued\"}"));
        Assert.Equal(2, Metrics.Value(metrics, "disco_jobs{kind=\"prediction\",state=\"running\"}"));

        _prediction.Finish(p1.Id);
        _prediction.Finish(p3.Id);
        await _training.WaitStartedAsync(training.Id);
        // The training job holds the lane alone, so p2 (queued behind it) is not claimed: the store still has it queued.
        (Dictionary<string, int> queued, Dictionary<string, int> running) = await _server.Get<JobRunner>().LaneCountsAsync(CancellationToken.None);
        Assert.Equal((1, 1), (queued["cpu"], running["cpu"]));
        Assert.False(_prediction.HasStarted(p2.Id), "a prediction started while training ran");

        _training.Finish(training.Id);
        await _prediction.WaitStartedAsync(p2.Id);
        _prediction.Finish(p2.Id);
        Job final = await _client.WaitForJobAsync(p2.Id);
        Assert.Equal(JobState.Succeeded, final.State);
        Assert.Equal("done-" + p2.Id, final.Result.DatasetId);
        Assert.Equal([p1.Id, p3.Id, p2.Id], _prediction.StartOrder);
        Assert.Empty(_prediction.Overlaps);

        // Job counts are read at each scrape: a state no job is in any more is gone, not stuck at its last count.
        metrics = await (await _server.HttpGetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Equal(3, Metrics.Value(metrics, "disco_jobs{kind=\"prediction\",state=\"succeeded\"}"));
        Assert.Equal(1, Metrics.Value(metrics, "disco_jobs{kind=\"training\",state=\"succeeded\"}"));
        Assert.True(double.IsNaN(Metrics.Value(metrics, "disco_jobs{kind=\"prediction\",state=\"queued\"}")), metrics);
        Assert.True(double.IsNaN(Metrics.Value(metrics, "disco_jobs{kind=\"prediction\",state=\"running\"}")), metrics);
        Assert.Equal(0, Metrics.Value(metrics, "disco_job_queue_depth{device=\"cpu\"}"));
    }

    [Fact]
    public async Task Cancelling_a_queued_or_a_running_job_ends_it_cancelled_and_resumable()
    {
        Job running = await SubmitAsync(JobKind.Training, 0);
        await _training.WaitStartedAsync(running.Id);
        Job queued = await SubmitAsync(JobKind.Training, 0);

        Job cancelledQueued = await _client.CancelJobAsync(queued.Id);
        Assert.Equal(JobState.Cancelled, cancelledQueued.State);
        Assert.True(cancelledQueued.Resumable);
        Assert.False(_training.HasStarted(queued.Id));

        Job cancelling = await _client.CancelJobAsync(running.Id);
        Assert.True(cancelling.State is JobState.Cancelling or JobState.Cancelled);
        Job final = await _client.WaitForJobAsync(running.Id);
        Assert.Equal(JobState.Cancelled, final.State);
        Assert.Equal(JobState.Cancelled, (await _client.CancelJobAsync(running.Id)).State);

        // Resuming a cancelled job runs it again from its checkpoint.
        Job resumed = await _client.ResumeJobAsync(running.Id);
        Assert.Equal(2, resumed.Attempt);
        await _training.WaitStartedAsync(running.Id, attempt: 2);
        Assert.Equal("attempt 1", _training.CheckpointSeen[running.Id]);
    }

    [Fact]
    public async Task A_job_seen_finished_can_no_longer_be_cancelled_or_resumed()
    {
        // Watchers learn of a job's end only after the runner has let go of it, so acting at once on what they saw meets
        // the final state. A gated log sink holds the runner where it logs the end until the checks are done, which
        // would keep a job that was announced finished among the running ones if the order were the other way round.
        var prediction = new GateHandler(JobKind.Prediction, exclusive: false);
        using var sink = new GatedLogSink(" ended ");
        await using TestServer server = await TestServer.StartAsync(["--Jobs:Concurrency:cpu=2"], builder =>
        {
            builder.Services.AddSingleton<IJobHandler>(_training);
            builder.Services.AddSingleton<IJobHandler>(prediction);
            builder.Logging.AddFilter((category, _) => category == typeof(JobRunner).FullName);
            builder.Logging.AddProvider(sink);
        });
        using DiscoClient client = server.Client();
        try
        {
            for (int round = 0; round < 3; round++)
            {
                JobRecord job = await server.Get<JobRunner>().SubmitAsync(Submission(JobKind.Prediction, 0), CancellationToken.None);
                await prediction.WaitStartedAsync(job.Id);
                prediction.Finish(job.Id);
                Assert.Equal(JobState.Succeeded, (await client.WaitForJobAsync(job.Id)).State);
                await Expect.StatusAsync(StatusCode.FailedPrecondition, () => client.CancelJobAsync(job.Id));
                await Expect.StatusAsync(StatusCode.FailedPrecondition, () => client.ResumeJobAsync(job.Id));
                sink.PassOne();
            }
        }
        finally
        {
            sink.Open();
        }
    }

    [Fact]
    public async Task Progress_fans_out_to_every_watcher_and_a_watcher_that_reconnects_gets_the_latest_state()
    {
        Job job = await SubmitAsync(JobKind.Prediction, 0);
        JobContext context = await _prediction.WaitStartedAsync(job.Id);
        var watchers = Enumerable.Range(0, 3).Select(_ => CollectAsync(job.Id)).ToArray();
        for (int step = 1; step <= 20; step++)
        {
            context.Report(new JobProgressRecord { Fraction = step / 20.0, Stage = "step", Step = step, TotalSteps = 20 });
        }

        // A watcher that was cut off attaches again and starts from the latest state.
        using (var cut = new CancellationTokenSource())
        {
            using var call = _client.Stubs.Jobs.WatchJob(new WatchJobRequest { JobId = job.Id }, _client.CallOptions(null, cut.Token));
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(20, call.ResponseStream.Current.Job.Progress.Step);
            cut.Cancel();
        }

        context.Report(new JobProgressRecord { Fraction = 1, Stage = "step", Step = 21, TotalSteps = 21 });
        using (var again = _client.Stubs.Jobs.WatchJob(new WatchJobRequest { JobId = job.Id }, _client.CallOptions(null, default)))
        {
            Assert.True(await again.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(21, again.ResponseStream.Current.Job.Progress.Step);
        }

        _prediction.Finish(job.Id);
        foreach (Task<List<Job>> watcher in watchers)
        {
            List<Job> seen = await watcher.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(JobState.Succeeded, seen[^1].State);
            Assert.True(seen.Zip(seen.Skip(1)).All(pair => pair.First.Revision < pair.Second.Revision), "revisions must increase");
            Assert.True(seen.Select(j => j.Progress?.Step ?? 0).Zip(seen.Select(j => j.Progress?.Step ?? 0).Skip(1)).All(p => p.First <= p.Second || p.Second == 0));
        }

        // A watcher arriving after the end gets the final state once.
        List<Job> late = await CollectAsync(job.Id);
        Assert.Equal(JobState.Succeeded, Assert.Single(late).State);
    }

    [Fact]
    public async Task Jobs_survive_a_restart_running_ones_as_interrupted_and_resume_from_their_checkpoint()
    {
        string dataDirectory = Temp.Directory("restart");
        var training = new GateHandler(JobKind.Training, exclusive: true);
        string runningId, queuedId;
        await using (TestServer first = await StartAsync(dataDirectory, training))
        {
            JobRunner runner = first.Get<JobRunner>();
            runningId = (await runner.SubmitAsync(Submission(JobKind.Training, 0), CancellationToken.None)).Id;
            await training.WaitStartedAsync(runningId);
            queuedId = (await runner.SubmitAsync(Submission(JobKind.Training, 0), CancellationToken.None)).Id;
        }

        var after = new GateHandler(JobKind.Training, exclusive: true);
        await using TestServer second = await StartAsync(dataDirectory, after);
        using DiscoClient client = second.Client();
        Job interrupted = await client.GetJobAsync(runningId);
        Assert.Equal(JobState.Interrupted, interrupted.State);
        Assert.True(interrupted.Resumable);
        Assert.Contains("disco jobs resume", interrupted.Error.Message, StringComparison.Ordinal);

        // The queued job was never started; it runs now, then the resumed one continues from its checkpoint.
        await after.WaitStartedAsync(queuedId);
        Job resumed = await client.ResumeJobAsync(runningId);
        Assert.Equal(JobState.Queued, resumed.State);
        after.Finish(queuedId);
        await after.WaitStartedAsync(runningId, attempt: 2);
        Assert.Equal("attempt 1", after.CheckpointSeen[runningId]);
        after.Finish(runningId);
        Job final = await client.WaitForJobAsync(runningId);
        Assert.Equal(JobState.Succeeded, final.State);
        Assert.Equal(2, final.Attempt);
        Temp.Delete(dataDirectory);
    }

    [Fact]
    public async Task A_running_job_is_claimed_in_the_store_and_released_when_it_ends()
    {
        IJobStore store = _server.Get<IJobStore>();
        JobRunner runner = _server.Get<JobRunner>();
        Job job = await SubmitAsync(JobKind.Prediction, 0);
        await _prediction.WaitStartedAsync(job.Id);

        // Another runner sharing the store cannot take the job over while this one holds it.
        var other = new JobClaimRequest("another-runner", runner.ReplicaId, [new JobLaneSlot("cpu", 0, 2, false)], [], TimeSpan.FromMinutes(1));
        Assert.Null(await store.ClaimNextAsync(other, CancellationToken.None));
        var lease = new JobLease(runner.Owner, 1);
        Assert.True((await store.RenewAsync(job.Id, lease, TimeSpan.FromMinutes(1), CancellationToken.None)).Held);

        _prediction.Finish(job.Id);
        Assert.Equal(JobState.Succeeded, (await _client.WaitForJobAsync(job.Id)).State);
        await Eventually.HoldsAsync(async () => !(await store.RenewAsync(job.Id, lease, TimeSpan.FromMinutes(1), CancellationToken.None)).Held, "the ended job's lease is released");
    }

    [Fact]
    public async Task A_request_id_makes_submission_idempotent()
    {
        JobRunner runner = _server.Get<JobRunner>();
        JobRecord first = await runner.SubmitAsync(Submission(JobKind.Prediction, 0) with { RequestId = "same" }, CancellationToken.None);
        JobRecord second = await runner.SubmitAsync(Submission(JobKind.Prediction, 0) with { RequestId = "same" }, CancellationToken.None);
        Assert.Equal(first.Id, second.Id);
        _prediction.Finish(first.Id);
        Assert.Equal(JobState.Succeeded, (await _client.WaitForJobAsync(first.Id)).State);
    }

    private Task<TestServer> StartAsync(string? dataDirectory, GateHandler? training = null) =>
        TestServer.StartAsync(["--Jobs:Concurrency:cpu=2", "--Jobs:ProgressPersistInterval=00:00:00.100"], builder =>
        {
            builder.Services.AddSingleton<IJobHandler>(training ?? _training);
            builder.Services.AddSingleton<IJobHandler>(_prediction);
        }, dataDirectory);

    private async Task<Job> SubmitAsync(JobKind kind, int priority) =>
        (await _server.Get<JobRunner>().SubmitAsync(Submission(kind, priority), CancellationToken.None)).ToApi();

    [Fact]
    public async Task Progress_messages_reach_watchers_without_paths_in_the_data_directory()
    {
        Job job = await SubmitAsync(JobKind.Prediction, 0);
        JobContext context = await _prediction.WaitStartedAsync(job.Id);
        string checkpoint = Path.Combine(_server.DataDirectory, "jobs", job.Id, "training.checkpoint");
        context.Report(new JobProgressRecord { Fraction = 0.5, Stage = "checkpoint", Message = $"Checkpoint at step 10: {checkpoint}" });

        Job seen = await _client.GetJobAsync(job.Id);
        _prediction.Finish(job.Id);
        Assert.Equal("Checkpoint at step 10: <data directory>/jobs/" + job.Id + "/training.checkpoint", seen.Progress.Message);
        Assert.DoesNotContain(_server.DataDirectory, seen.Progress.Message, StringComparison.Ordinal);
    }

    private static JobSubmission Submission(JobKind kind, int priority) =>
        new(kind.ToRecord(), JobSpecs.Of(new StartTrainingRequest { ModelName = "gate" }), "cpu", priority, "gate job", null, []);

    private async Task<List<Job>> CollectAsync(string jobId)
    {
        var seen = new List<Job>();
        await foreach (Job job in _client.WatchJobAsync(jobId))
        {
            seen.Add(job);
        }

        return seen;
    }
}
