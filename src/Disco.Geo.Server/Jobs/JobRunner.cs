using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Jobs;

/// <summary>What a caller asks for when submitting a job.</summary>
// Prepared: what the RPC already worked out (e.g. an ingest's inspected sources), handed to the job's first attempt in
// memory (JobContext.Prepared); never stored, so later attempts work it out again.
internal sealed record JobSubmission(JobRecordKind Kind, IJobSpec Spec, string Device, int Priority, string Description, string? RequestId, IReadOnlyList<string> Inputs, JobResultRecord? PresetResult = null, object? Prepared = null);

/// <summary>
/// Runs persistent jobs with bounded concurrency per device lane. Queued jobs start by priority, then age; each lane
/// runs at most its configured number of jobs, and an exclusive job (training, by default) runs alone on its lane.
/// A lane's head job is never overtaken by a later one, so a waiting training job is not starved by a stream of
/// predictions. Every state change is written to SQLite before it is published, so a restart sees the truth; jobs
/// that were running when the process died are marked INTERRUPTED at start and can be resumed.
/// </summary>
internal sealed class JobRunner : BackgroundService
{
    private readonly IJobStore _store;
    private readonly JobHub _hub;
    private readonly DataDirectory _directory;
    private readonly ServerMetrics _metrics;
    private readonly ILogger<JobRunner> _logger;
    private readonly JobsOptions _options;
    private readonly Dictionary<JobRecordKind, IJobHandler> _handlers;
    private readonly object _gate = new();
    private readonly List<JobRecord> _queue = [];
    private readonly Dictionary<string, LaneState> _lanes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RunningJob> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, object> _prepared = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private CancellationToken _stopping;

    /// <summary>
    /// How long a claim on a running job lasts without a heartbeat (<see cref="IJobStore.TryClaimAsync"/>). Long enough
    /// that a busy database does not lose it; a store shared by several servers reclaims a crashed one's jobs after it.
    /// </summary>
    internal static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(2);

    /// <summary>This runner's name on the leases it holds: unique per process start.</summary>
    private readonly string _owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    public JobRunner(
        IJobStore store, JobHub hub, DataDirectory directory, IEnumerable<IJobHandler> handlers, IOptions<JobsOptions> options, ServerMetrics metrics, ILogger<JobRunner> logger)
    {
        _store = store;
        _hub = hub;
        _directory = directory;
        _metrics = metrics;
        _logger = logger;
        _options = options.Value;
        // The first handler registered for a kind wins, so a host (or a test) can put its own in front of the defaults.
        _handlers = handlers.GroupBy(h => h.Kind).ToDictionary(g => g.Key, g => g.First());
    }

    /// <summary>Marks jobs that were running when the process stopped as interrupted and queues the queued ones. Runs once, before the server listens.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        // This process holds the data directory's lock, so any lease in the store belongs to a process that died.
        await _store.ReleaseAllAsync(cancellationToken);
        foreach (JobRecord job in await _store.ListInStatesAsync([JobRecordState.Running, JobRecordState.Cancelling, JobRecordState.Queued], cancellationToken))
        {
            if (job.State == JobRecordState.Queued)
            {
                lock (_gate)
                {
                    _queue.Add(job);
                }

                _hub.Publish(job);
                continue;
            }

            bool wasCancelling = job.State == JobRecordState.Cancelling;
            job.State = wasCancelling ? JobRecordState.Cancelled : JobRecordState.Interrupted;
            job.EndTime = Timestamp.FromDateTime(DateTime.UtcNow);
            job.Resumable = _handlers.ContainsKey(job.Kind);
            job.Error = wasCancelling ? null : new JobErrorRecord
            {
                Code = (int)ProblemKind.Aborted,
                Message = $"The server stopped while this job was running. Resume it with `disco jobs resume {job.Id}`.",
            };
            Bump(job);
            await _store.UpdateAsync(job, cancellationToken);
            _logger.LogWarning("Job {JobId} ({Kind}) was running when the server stopped; marked {State}", job.Id, job.Kind, job.State);
        }

        _wake.Release();
    }

    /// <summary>
    /// True when a job was already submitted under <paramref name="requestId"/>: a retry of that request, which
    /// <see cref="SubmitAsync"/> answers with the same job (or refuses when the parameters differ), so checks that
    /// the first submission's own output would now fail (its name is taken) must not run.
    /// </summary>
    public async Task<bool> IsKnownRequestAsync(string? requestId, CancellationToken cancellationToken) =>
        !string.IsNullOrEmpty(requestId) && await _store.FindByRequestIdAsync(requestId, cancellationToken) is not null;

    public async Task<JobRecord> SubmitAsync(JobSubmission submission, CancellationToken cancellationToken)
    {
        if (!_handlers.ContainsKey(submission.Kind))
        {
            throw Problem.Internal($"No job handler is registered for {submission.Kind} jobs.");
        }

        if (!string.IsNullOrEmpty(submission.RequestId) && await _store.FindByRequestIdAsync(submission.RequestId, cancellationToken) is { } existing)
        {
            await ThrowIfAnotherRequestAsync(existing, submission, cancellationToken);
            return _hub.TryGetLatest(existing.Id, out JobRecord live) ? live : existing;
        }

        var job = new JobRecord
        {
            Id = Ids.New(Ids.Job),
            Kind = submission.Kind,
            State = JobRecordState.Queued,
            Priority = submission.Priority,
            Device = submission.Device,
            Description = submission.Description,
            Progress = new JobProgressRecord { Stage = "queued", Message = "Waiting for a free slot on " + submission.Device },
            CreateTime = Timestamp.FromDateTime(DateTime.UtcNow),
            Attempt = 1,
            Revision = NextRevision(0),
            RequestId = submission.RequestId ?? "",
            Inputs = { submission.Inputs },
            Result = submission.PresetResult,
        };
        try
        {
            await _store.InsertAsync(job, submission.Spec.ToRecord(), cancellationToken);
        }
        catch (RequestIdTakenException e)
        {
            // A concurrent retry with the same request id won the insert.
            JobRecord? winner = await _store.FindByRequestIdAsync(e.RequestId, cancellationToken);
            if (winner is null)
            {
                throw;
            }

            await ThrowIfAnotherRequestAsync(winner, submission, cancellationToken);
            return winner;
        }

        if (submission.Prepared is not null)
        {
            lock (_gate)
            {
                _prepared[job.Id] = submission.Prepared;
            }
        }

        Enqueue(job);
        _logger.LogInformation("Job {JobId} ({Kind}) queued on {Device} with priority {Priority}", job.Id, job.Kind, job.Device, job.Priority);
        return job;
    }

    /// <summary>
    /// A request id names one request: returning the job of another spec would report someone else's work as done.
    /// The stored spec is compared by meaning (<see cref="IJobSpec.IsSameRequest"/>), so the same request always matches.
    /// </summary>
    private async Task ThrowIfAnotherRequestAsync(JobRecord existing, JobSubmission submission, CancellationToken cancellationToken)
    {
        if (!submission.Spec.IsSameRequest(await _store.GetSpecAsync(existing.Id, cancellationToken)))
        {
            throw Problem.Conflict("job request_id", submission.RequestId!,
                $"request_id '{ClientText.Shorten(submission.RequestId!)}' was already used for job {existing.Id} ({existing.Description}) with different parameters. " +
                "Use a new request_id for a different request; the same request_id returns the same job only for the same request.");
        }
    }

    public async Task<JobRecord> CancelAsync(string id, CancellationToken cancellationToken)
    {
        RunningJob? running;
        JobRecord? queued = null;
        lock (_gate)
        {
            _running.TryGetValue(id, out running);
            int index = _queue.FindIndex(j => j.Id == id);
            if (index >= 0)
            {
                queued = _queue[index];
                _queue.RemoveAt(index);
                _prepared.Remove(id);
            }
        }

        if (queued is not null)
        {
            queued.State = JobRecordState.Cancelled;
            queued.EndTime = Timestamp.FromDateTime(DateTime.UtcNow);
            queued.Resumable = true;
            Bump(queued);
            await _store.UpdateAsync(queued, CancellationToken.None);
            _hub.Publish(queued);
            _wake.Release();
            return queued.Clone();
        }

        if (running is not null)
        {
            JobRecord snapshot;
            bool ended;
            lock (running.Gate)
            {
                // The job may have ended between the lookup and here; its final state stands.
                ended = running.Job.State is not (JobRecordState.Running or JobRecordState.Cancelling);
                if (!ended)
                {
                    running.CancelRequested = true;
                    if (running.Job.State == JobRecordState.Running)
                    {
                        running.Job.State = JobRecordState.Cancelling;
                        Bump(running.Job);
                    }
                }

                snapshot = running.Job.Clone();
            }

            if (ended)
            {
                return CancelledOrNotCancellable(snapshot);
            }

            await _store.UpdateAsync(snapshot, CancellationToken.None);
            _hub.Publish(snapshot);
            try
            {
                await running.Cancellation.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // The job ended after the check above; watchers get its final state.
            }

            return snapshot;
        }

        return CancelledOrNotCancellable(await _store.GetAsync(id, cancellationToken) ?? throw Problem.NotFound("job", id));
    }

    private static JobRecord CancelledOrNotCancellable(JobRecord job) => job.State switch
    {
        JobRecordState.Cancelled or JobRecordState.Cancelling => job,
        _ => throw Problem.FailedPrecondition("JOB_STATE", job.Id, $"JobRecord {job.Id} is {JobNames.Of(job.State)}; only queued or running jobs can be cancelled."),
    };

    public async Task<JobRecord> ResumeAsync(string id, CancellationToken cancellationToken)
    {
        JobRecord job = await _store.GetAsync(id, cancellationToken) ?? throw Problem.NotFound("job", id);
        lock (_gate)
        {
            if (_running.ContainsKey(id) || _queue.Any(j => j.Id == id))
            {
                return _hub.TryGetLatest(id, out JobRecord live) ? live : job;
            }
        }

        if (job.State is not (JobRecordState.Interrupted or JobRecordState.Failed or JobRecordState.Cancelled))
        {
            throw Problem.FailedPrecondition("JOB_STATE", id, $"JobRecord {id} is {JobNames.Of(job.State)}; only interrupted, failed or cancelled jobs can be resumed.");
        }

        if (job.State == JobRecordState.Failed && !job.Resumable)
        {
            throw Problem.FailedPrecondition("JOB_NOT_RESUMABLE", id,
                $"JobRecord {id} failed for a reason a resume cannot fix ({ClientText.Shorten(job.Error?.Message ?? "no message")}); fix the request and start a new job instead.");
        }

        if (!_handlers.ContainsKey(job.Kind))
        {
            throw Problem.FailedPrecondition("ENGINE_MISSING", id, $"JobRecord {id} is a {JobNames.Of(job.Kind)} job and this server has no engine to run it.");
        }

        job.State = JobRecordState.Queued;
        job.Attempt++;
        job.Error = null;
        job.EndTime = null;
        job.Resumable = false;
        job.Progress = new JobProgressRecord { Stage = "queued", Message = $"Resumed (attempt {job.Attempt}); waiting for a free slot on {job.Device}" };
        Bump(job);
        await _store.UpdateAsync(job, cancellationToken);
        Enqueue(job);
        _logger.LogInformation("Job {JobId} resumed, attempt {Attempt}", job.Id, job.Attempt);
        return job.Clone();
    }

    /// <summary>Queued jobs per lane and running jobs per lane, for /metrics.</summary>
    public (Dictionary<string, int> Queued, Dictionary<string, int> Running) LaneCounts()
    {
        lock (_gate)
        {
            var queued = _queue.GroupBy(j => j.Device).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var running = _lanes.ToDictionary(l => l.Key, l => l.Value.Running, StringComparer.Ordinal);
            foreach (string lane in _options.Concurrency.Keys)
            {
                queued.TryAdd(lane, 0);
                running.TryAdd(lane, 0);
            }

            return (queued, running);
        }
    }

    internal void ReportProgress(RunningJob running, JobProgressRecord progress)
    {
        // Progress goes to every watcher: engines describe their work with server paths (a checkpoint's file), which
        // are redacted here, once, like job errors.
        progress.Message = _directory.RedactPaths(progress.Message);
        JobRecord snapshot;
        lock (running.Gate)
        {
            running.Job.Progress = progress;
            Bump(running.Job);
            running.ProgressDirty = true;
            snapshot = running.Job.Clone();
        }

        _hub.Publish(snapshot);
    }

    internal Task SaveCheckpointAsync(string id, byte[] checkpoint, CancellationToken cancellationToken) =>
        _store.SaveCheckpointAsync(id, checkpoint, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _wake.WaitAsync(stoppingToken);
                StartAdmissibleJobs();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Task[] tasks;
        lock (_gate)
        {
            tasks = _running.Values.Select(r => r.Task).ToArray();
        }

        // Running jobs observe the stopping token and end as INTERRUPTED; wait for them to write that down.
        await Task.WhenAll(tasks).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>
    /// Revisions come from the clock (microseconds), never below the previous one plus one, so they keep increasing
    /// across restarts even though progress-only revisions reach the database at most once per persist interval.
    /// </summary>
    private static long NextRevision(long previous) => Math.Max(previous + 1, DateTime.UtcNow.Ticks / 10);

    private static void Bump(JobRecord job) => job.Revision = NextRevision(job.Revision);

    private void Enqueue(JobRecord job)
    {
        lock (_gate)
        {
            _queue.Add(job.Clone());
        }

        _hub.Publish(job);
        _wake.Release();
    }

    private void StartAdmissibleJobs()
    {
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                // Shutting down: queued jobs stay queued for the next start instead of starting only to be interrupted.
                return;
            }

            foreach (IGrouping<string, JobRecord> lane in _queue.GroupBy(j => j.Device).ToList())
            {
                while (true)
                {
                    JobRecord? head = _queue.Where(j => j.Device == lane.Key)
                        .OrderByDescending(j => j.Priority).ThenBy(j => j.Id, StringComparer.Ordinal).FirstOrDefault();
                    if (head is null)
                    {
                        break;
                    }

                    LaneState state = Lane(head.Device);
                    bool exclusive = _handlers[head.Kind].Exclusive;
                    bool admit = exclusive ? state.Running == 0 : !state.Exclusive && state.Running < state.Capacity;
                    if (!admit)
                    {
                        break;
                    }

                    _queue.Remove(head);
                    state.Running++;
                    state.Exclusive = exclusive;
                    var running = new RunningJob(head, CancellationTokenSource.CreateLinkedTokenSource(_stopping));
                    if (_prepared.Remove(head.Id, out object? prepared))
                    {
                        running.Prepared = prepared;
                    }

                    _running.Add(head.Id, running);
                    running.Task = Task.Run(() => RunAsync(running));
                }
            }
        }
    }

    private LaneState Lane(string device)
    {
        if (!_lanes.TryGetValue(device, out LaneState? lane))
        {
            int capacity = _options.Concurrency.TryGetValue(device, out int configured) ? Math.Max(1, configured) : OptionDefaults.UnlistedLaneConcurrency;
            lane = new LaneState(capacity);
            _lanes.Add(device, lane);
        }

        return lane;
    }

    private async Task RunAsync(RunningJob running)
    {
        IJobHandler handler = _handlers[running.Job.Kind];
        if (!await TryClaimAsync(running))
        {
            return;
        }

        JobRecord snapshot;
        lock (running.Gate)
        {
            running.Job.State = JobRecordState.Running;
            running.Job.StartTime = Timestamp.FromDateTime(DateTime.UtcNow);
            running.Job.Progress = new JobProgressRecord { Stage = "starting", Message = "Started" };
            Bump(running.Job);
            snapshot = running.Job.Clone();
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var flushStop = new CancellationTokenSource();
        Task flusher = Task.CompletedTask;
        try
        {
            await _store.UpdateAsync(snapshot, CancellationToken.None);
            _hub.Publish(snapshot);
            var context = new JobContext(
                this, running, await _store.GetSpecAsync(running.Id, CancellationToken.None), await _store.GetCheckpointAsync(running.Id, CancellationToken.None),
                _directory.JobDirectory(running.Id));
            flusher = FlushProgressAsync(running, flushStop.Token);
            _logger.LogInformation("Job {JobId} ({Kind}) started, attempt {Attempt}", running.Id, running.Job.Kind, running.Attempt);
            JobResultRecord result = await handler.RunAsync(context, running.Cancellation.Token);
            Finish(running, JobRecordState.Succeeded, null, result);
        }
        catch (OperationCanceledException) when (running.Cancellation.IsCancellationRequested)
        {
            if (running.CancelRequested)
            {
                Finish(running, JobRecordState.Cancelled, null, null);
            }
            else
            {
                Finish(running, JobRecordState.Interrupted, new JobErrorRecord { Code = (int)ProblemKind.Aborted, Message = $"The server shut down while this job was running. Resume it with `disco jobs resume {running.Id}`." }, null);
            }
        }
        catch (JobFailedException e)
        {
            Finish(running, JobRecordState.Failed, new JobErrorRecord { Code = (int)e.Kind, Message = e.Message }, null, JobFailedException.ResumeCanFix(e.Kind));
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Job {JobId} ({Kind}) failed unexpectedly", running.Id, running.Job.Kind);
            Finish(running, JobRecordState.Failed, new JobErrorRecord { Code = (int)ProblemKind.Internal, Message = $"Internal error: {e.GetType().Name}: {e.Message}" }, null);
        }

        await flushStop.CancelAsync();
        await flusher.ContinueWith(_ => { }, TaskScheduler.Default);
        lock (running.Gate)
        {
            snapshot = running.Job.Clone();
        }

        try
        {
            await _store.UpdateAsync(snapshot, CancellationToken.None);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Could not record the final state of job {JobId}", running.Id);
        }

        try
        {
            await _store.ReleaseAsync(running.Id, _owner, CancellationToken.None);
        }
        catch (Exception e)
        {
            // The lease then simply expires.
            _logger.LogWarning(e, "Could not release the lease on job {JobId}", running.Id);
        }

        // Forget the job before announcing its end: whoever sees the final state and then cancels or resumes must find
        // it finished (the store has it), not still among the running ones.
        lock (_gate)
        {
            _running.Remove(running.Id);
            LaneState lane = Lane(snapshot.Device);
            lane.Running--;
            lane.Exclusive = false;
        }

        _hub.Publish(snapshot);
        _metrics.RecordJobFinished(JobNames.Of(snapshot.Kind), JobNames.Of(snapshot.State), clock.Elapsed.TotalSeconds);
        _logger.LogInformation("Job {JobId} ({Kind}) ended {State} after {Seconds:F1} s", snapshot.Id, snapshot.Kind, snapshot.State, clock.Elapsed.TotalSeconds);
        running.Cancellation.Dispose();
        _wake.Release();
    }

    // resumable: false when the job failed for a reason a resume cannot fix (a bad request): resuming would only fail
    // again, so clients are not offered it and ResumeAsync refuses.
    private void Finish(RunningJob running, JobRecordState state, JobErrorRecord? error, JobResultRecord? result, bool resumable = true)
    {
        lock (running.Gate)
        {
            JobRecord job = running.Job;
            job.State = state;
            if (error is not null)
            {
                // Job errors reach clients (GetJob, WatchJob, the failed call): no data directory paths and no .NET
                // parameter suffixes in them, whichever way the job ended.
                error.Message = _directory.RedactPaths(ClientText.ForClients(error.Message));
            }

            job.Error = error;
            job.Result = result ?? job.Result;
            job.EndTime = Timestamp.FromDateTime(DateTime.UtcNow);
            job.Resumable = resumable && state is JobRecordState.Interrupted or JobRecordState.Failed or JobRecordState.Cancelled;
            if (state == JobRecordState.Succeeded)
            {
                job.Progress = new JobProgressRecord { Fraction = 1, Stage = "done", Message = "Finished", Metrics = { job.Progress?.Metrics ?? new Google.Protobuf.Collections.MapField<string, double>() } };
            }

            Bump(job);
        }
    }

    /// <summary>
    /// Claims the job in the store before it starts. False when another runner holds it (only possible with a store
    /// shared by several servers): the job is then left to that runner and forgotten here.
    /// </summary>
    private async Task<bool> TryClaimAsync(RunningJob running)
    {
        try
        {
            if (await _store.TryClaimAsync(running.Id, _owner, LeaseDuration, CancellationToken.None))
            {
                return true;
            }

            _logger.LogWarning("Job {JobId} is claimed by another runner; it does not start here", running.Id);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Could not claim job {JobId}; it stays queued until the next start", running.Id);
        }

        lock (_gate)
        {
            _running.Remove(running.Id);
            LaneState lane = Lane(running.Job.Device);
            lane.Running--;
            lane.Exclusive = false;
        }

        running.Cancellation.Dispose();
        _wake.Release();
        return false;
    }

    /// <summary>
    /// While a job runs: writes its progress at most once per persist interval, and renews its lease (the heartbeat)
    /// every quarter of <see cref="LeaseDuration"/>.
    /// </summary>
    private async Task FlushProgressAsync(RunningJob running, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.ProgressPersistInterval > TimeSpan.Zero ? _options.ProgressPersistInterval : TimeSpan.FromSeconds(1));
        var sinceRenewal = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (sinceRenewal.Elapsed >= LeaseDuration / 4)
                {
                    sinceRenewal.Restart();
                    if (!await _store.RenewAsync(running.Id, _owner, LeaseDuration, cancellationToken))
                    {
                        // Only a store shared by several servers loses a lease (this one stalled past it); the job's own
                        // writes still land, so say so loudly rather than race the other runner by cancelling here.
                        _logger.LogError("The lease on job {JobId} was lost to another runner", running.Id);
                    }
                }

                JobRecord? snapshot = null;
                lock (running.Gate)
                {
                    if (running.ProgressDirty && running.Job.State is JobRecordState.Running or JobRecordState.Cancelling)
                    {
                        running.ProgressDirty = false;
                        snapshot = running.Job.Clone();
                    }
                }

                if (snapshot is not null)
                {
                    await _store.UpdateAsync(snapshot, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal sealed class RunningJob(JobRecord job, CancellationTokenSource cancellation)
    {
        public object Gate { get; } = new();

        public JobRecord Job { get; } = job;

        public string Id { get; } = job.Id;

        public int Attempt { get; } = job.Attempt;

        public JobResultRecord? PresetResult { get; } = job.Result?.Clone();

        public CancellationTokenSource Cancellation { get; } = cancellation;

        public bool CancelRequested { get; set; }

        /// <summary>What the RPC prepared for the first attempt (see <see cref="JobSubmission.Prepared"/>), or null.</summary>
        public object? Prepared { get; set; }

        public bool ProgressDirty { get; set; }

        public Task Task { get; set; } = Task.CompletedTask;
    }

    private sealed class LaneState(int capacity)
    {
        public int Capacity { get; } = capacity;

        public int Running { get; set; }

        public bool Exclusive { get; set; }
    }
}
