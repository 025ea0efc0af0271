using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Jobs;

/// <summary>
/// What a caller asks for when submitting a job. <paramref name="JobId"/>: an id the caller chose (from
/// <see cref="Ids.New"/>) for a record that must name its job before the job can run; by default the runner picks one.
/// </summary>
// Prepared: what the RPC already worked out (e.g. an ingest's inspected sources), handed to the job's first attempt in
// memory (JobContext.Prepared); never stored, so later attempts work it out again.
internal sealed record JobSubmission(
    JobRecordKind Kind, IJobSpec Spec, string Device, int Priority, string Description, string? RequestId, IReadOnlyList<string> Inputs,
    JobResultRecord? PresetResult = null, object? Prepared = null, string? JobId = null);

/// <summary>
/// Runs persistent jobs with bounded concurrency per device lane. The queue is the store (<see cref="IJobStore"/>):
/// the runner claims the next job for one of its lanes with a free slot (<see cref="IJobStore.ClaimNextAsync"/>), on a
/// local submission at once and otherwise every poll interval, so jobs submitted on other replicas start here too.
/// Queued jobs start by priority, then age; each lane runs at most its configured number of jobs, an exclusive job
/// (training, by default) runs alone on its lane, and a lane's head job is never overtaken by a later one.
/// Every write for a running job is fenced with the lease of its claim: when a heartbeat or a write finds the lease
/// lost (another replica took the job over after this one stalled), the local work is cancelled and nothing more is
/// written. Single node: jobs that were running when the process died are marked INTERRUPTED at start and can be
/// resumed. Cluster: a job whose lease expired is taken over by the next replica that claims it.
/// </summary>
internal sealed class JobRunner : BackgroundService
{
    private readonly IJobStore _store;
    private readonly JobHub _hub;
    private readonly LocalJobChanges _changes;
    private readonly DataDirectory _directory;
    private readonly ServerMetrics _metrics;
    private readonly ILogger<JobRunner> _logger;
    private readonly JobsOptions _options;
    private readonly ClusterOptions _cluster;
    private readonly TimeProvider _time;
    private readonly Dictionary<JobRecordKind, IJobHandler> _handlers;
    private readonly JobRecordKind[] _exclusiveKinds;
    private readonly object _gate = new();
    private readonly Dictionary<string, LaneState> _lanes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RunningJob> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, object> _prepared = new(StringComparer.Ordinal);
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationToken _stopping;

    public JobRunner(
        IJobStore store, JobHub hub, LocalJobChanges changes, DataDirectory directory, IEnumerable<IJobHandler> handlers, IOptions<JobsOptions> options,
        IOptions<ClusterOptions> cluster, TimeProvider time, ServerMetrics metrics, ILogger<JobRunner> logger)
    {
        _store = store;
        _hub = hub;
        _changes = changes;
        _directory = directory;
        _metrics = metrics;
        _logger = logger;
        _options = options.Value;
        _cluster = cluster.Value;
        _time = time;
        // The first handler registered for a kind wins, so a host (or a test) can put its own in front of the defaults.
        _handlers = handlers.GroupBy(h => h.Kind).ToDictionary(g => g.Key, g => g.First());
        _exclusiveKinds = [.. _handlers.Values.Where(h => h.Exclusive).Select(h => h.Kind)];
        ReplicaId = _cluster.EffectiveReplicaId;
        Owner = $"{ReplicaId}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    }

    /// <summary>This replica's id (<see cref="ClusterOptions.ReplicaId"/>).</summary>
    public string ReplicaId { get; }

    /// <summary>This runner's name on the leases it holds: the replica id, then what makes it unique per process start.</summary>
    public string Owner { get; }

    /// <summary>The lanes this runner claims jobs for and their capacities.</summary>
    public IReadOnlyDictionary<string, int> LaneCapacities =>
        _options.Concurrency.ToDictionary(p => p.Key, p => Math.Max(1, p.Value), StringComparer.Ordinal);

    /// <summary>
    /// Single node: marks jobs that were running when the process stopped as interrupted (the data directory's lock
    /// means no other process holds them). Cluster: leaves every lease alone (they may belong to live replicas; an
    /// expired one is taken over by the claim). Runs once, before the server listens.
    /// </summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        if (_cluster.Enabled)
        {
            // Alive before the first call arrives: predictions this replica accepts stay pinned to it while it is.
            await _store.RenewReplicaAsync(ReplicaId, _cluster.LeaseDuration, cancellationToken);
            Wake();
            return;
        }

        await _store.ReleaseAllAsync(cancellationToken);
        foreach (JobRecord job in await _store.ListInStatesAsync([JobRecordState.Running, JobRecordState.Cancelling, JobRecordState.Queued], cancellationToken))
        {
            if (job.State == JobRecordState.Queued)
            {
                _hub.Publish(job);
                continue;
            }

            bool wasCancelling = job.State == JobRecordState.Cancelling;
            job.State = wasCancelling ? JobRecordState.Cancelled : JobRecordState.Interrupted;
            job.EndTime = Timestamp.FromDateTime(_time.GetUtcNow().UtcDateTime);
            job.Resumable = _handlers.ContainsKey(job.Kind);
            job.Error = wasCancelling ? null : new JobErrorRecord
            {
                Code = (int)ProblemKind.Aborted,
                Message = $"The server stopped while this job was running. Resume it with `disco jobs resume {job.Id}`.",
            };
            Bump(job);
            await _store.TryUpdateUnclaimedAsync(job, [JobRecordState.Running, JobRecordState.Cancelling], cancellationToken);
            _logger.LogWarning("Job {JobId} ({Kind}) was running when the server stopped; marked {State}", job.Id, job.Kind, job.State);
        }

        Wake();
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
            Id = submission.JobId ?? Ids.New(Ids.Job),
            Kind = submission.Kind,
            State = JobRecordState.Queued,
            Priority = submission.Priority,
            Device = submission.Device,
            Description = submission.Description,
            Progress = new JobProgressRecord { Stage = "queued", Message = "Waiting for a free slot on " + submission.Device },
            CreateTime = Timestamp.FromDateTime(_time.GetUtcNow().UtcDateTime),
            Attempt = 1,
            Revision = NextRevision(0),
            RequestId = submission.RequestId ?? "",
            Inputs = { submission.Inputs },
            Result = submission.PresetResult,
            // A prediction streams its rows to the Predict call that started it, which lives on this replica.
            PinnedReplica = submission.Kind == JobRecordKind.Prediction ? ReplicaId : "",
        };
        if (submission.Prepared is not null)
        {
            lock (_gate)
            {
                _prepared[job.Id] = submission.Prepared;
            }
        }

        try
        {
            await _store.InsertAsync(job, submission.Spec.ToRecord(), cancellationToken);
        }
        catch (RequestIdTakenException e)
        {
            ForgetPrepared(job.Id);
            // A concurrent retry with the same request id won the insert.
            JobRecord? winner = await _store.FindByRequestIdAsync(e.RequestId, cancellationToken);
            if (winner is null)
            {
                throw;
            }

            await ThrowIfAnotherRequestAsync(winner, submission, cancellationToken);
            return winner;
        }
        catch
        {
            ForgetPrepared(job.Id);
            throw;
        }

        Announce(job);
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

    /// <summary>
    /// Cancels a job from any replica: the request is recorded in the store first; a queued job ends cancelled at
    /// once, a job running here stops now, and a job running on another replica stops at that replica's next
    /// heartbeat (the answer then shows it cancelling).
    /// </summary>
    public async Task<JobRecord> CancelAsync(string id, CancellationToken cancellationToken)
    {
        bool requested = await _store.RequestCancelAsync(id, CancellationToken.None);
        if (LocalRun(id) is { } local)
        {
            return await CancelLocalAsync(local) ?? CancelledOrNotCancellable(await _store.GetAsync(id, cancellationToken) ?? throw Problem.NotFound("job", id));
        }

        JobRecord job = await _store.GetAsync(id, cancellationToken) ?? throw Problem.NotFound("job", id);
        if (!requested)
        {
            return CancelledOrNotCancellable(job);
        }

        if (job.State == JobRecordState.Queued)
        {
            JobRecord cancelled = job.Clone();
            cancelled.State = JobRecordState.Cancelled;
            cancelled.EndTime = Timestamp.FromDateTime(_time.GetUtcNow().UtcDateTime);
            cancelled.Resumable = true;
            Bump(cancelled);
            if (await _store.TryUpdateUnclaimedAsync(cancelled, [JobRecordState.Queued], CancellationToken.None))
            {
                ForgetPrepared(id);
                _hub.Publish(cancelled);
                _changes.Notify();
                Wake();
                return cancelled.Clone();
            }

            // Claimed in between: by this runner (which saw the request in its claim, or sees it here) or another.
            if (LocalRun(id) is { } claimedHere)
            {
                return await CancelLocalAsync(claimedHere) ?? CancelledOrNotCancellable(await _store.GetAsync(id, cancellationToken) ?? throw Problem.NotFound("job", id));
            }

            job = await _store.GetAsync(id, cancellationToken) ?? throw Problem.NotFound("job", id);
        }

        if (JobHub.IsFinal(job.State))
        {
            return CancelledOrNotCancellable(job);
        }

        // Running on another replica: its runner stops it at its next heartbeat and writes the final state.
        JobRecord reported = job.Clone();
        reported.State = JobRecordState.Cancelling;
        return reported;
    }

    private RunningJob? LocalRun(string id)
    {
        lock (_gate)
        {
            return _running.GetValueOrDefault(id);
        }
    }

    /// <summary>Stops a job running here because of a cancel; null when it had already ended (its final state stands).</summary>
    private async Task<JobRecord?> CancelLocalAsync(RunningJob running)
    {
        JobRecord snapshot;
        lock (running.Gate)
        {
            // The job may have ended between the lookup and here; its final state stands.
            if (running.Job.State is not (JobRecordState.Running or JobRecordState.Cancelling or JobRecordState.Queued) || running.Ended)
            {
                return null;
            }

            running.CancelRequested = true;
            if (running.Job.State == JobRecordState.Running)
            {
                running.Job.State = JobRecordState.Cancelling;
                Bump(running.Job);
            }

            snapshot = running.Job.Clone();
        }

        if (snapshot.State == JobRecordState.Cancelling)
        {
            await WriteAsync(running, snapshot);
            _hub.Publish(snapshot);
        }

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

    private static JobRecord CancelledOrNotCancellable(JobRecord job) => job.State switch
    {
        JobRecordState.Cancelled or JobRecordState.Cancelling => job,
        _ => throw Problem.FailedPrecondition("JOB_STATE", job.Id, $"JobRecord {job.Id} is {JobNames.Of(job.State)}; only queued or running jobs can be cancelled."),
    };

    /// <summary>Re-queues an interrupted, failed or cancelled job in the store, from any replica; any runner with its lane may claim it.</summary>
    public async Task<JobRecord> ResumeAsync(string id, CancellationToken cancellationToken)
    {
        JobRecord job = await _store.GetAsync(id, cancellationToken) ?? throw Problem.NotFound("job", id);
        if (LocalRun(id) is not null || job.State is JobRecordState.Queued or JobRecordState.Running or JobRecordState.Cancelling)
        {
            return _hub.TryGetLatest(id, out JobRecord live) ? live : job;
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
        if (!await _store.TryUpdateUnclaimedAsync(job, [JobRecordState.Interrupted, JobRecordState.Failed, JobRecordState.Cancelled], cancellationToken))
        {
            // Resumed (or otherwise changed) by someone else in between: answer with what it is now.
            return await _store.GetAsync(id, cancellationToken) ?? throw Problem.NotFound("job", id);
        }

        Announce(job);
        _logger.LogInformation("Job {JobId} resumed, attempt {Attempt}", job.Id, job.Attempt);
        return job.Clone();
    }

    /// <summary>Queued jobs per lane (from the store: every replica's) and this runner's running jobs per lane, for /metrics.</summary>
    public async Task<(Dictionary<string, int> Queued, Dictionary<string, int> Running)> LaneCountsAsync(CancellationToken cancellationToken)
    {
        var queued = new Dictionary<string, int>(await _store.CountQueuedByDeviceAsync(cancellationToken), StringComparer.Ordinal);
        lock (_gate)
        {
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
            if (running.LeaseLost)
            {
                return;
            }

            running.Job.Progress = progress;
            Bump(running.Job);
            running.ProgressDirty = true;
            snapshot = running.Job.Clone();
        }

        _hub.Publish(snapshot);
    }

    /// <summary>Stores a checkpoint, fenced: when the lease was lost the job's work here is cancelled and the call throws.</summary>
    internal async Task SaveCheckpointAsync(RunningJob running, byte[] checkpoint, CancellationToken cancellationToken)
    {
        if (!await _store.SaveCheckpointAsync(running.Id, running.Lease, checkpoint, cancellationToken))
        {
            await LoseLeaseAsync(running);
            throw new OperationCanceledException("The lease on this job was lost to another runner.", running.Cancellation.Token);
        }
    }

    /// <summary>
    /// Renews the lease now and throws (cancelling the job's work here) when it was lost: handlers call it right before
    /// committing an output, which narrows the window in which a stale holder commits (the output's id, derived from
    /// the job's, makes a second commit a no-op anyway).
    /// </summary>
    internal async Task EnsureLeaseAsync(RunningJob running, CancellationToken cancellationToken)
    {
        JobLeaseStatus status = await _store.RenewAsync(running.Id, running.Lease, _cluster.LeaseDuration, cancellationToken);
        if (!status.Held)
        {
            await LoseLeaseAsync(running);
            throw new OperationCanceledException("The lease on this job was lost to another runner.", running.Cancellation.Token);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        Task beats = _cluster.Enabled ? ReplicaHeartbeatAsync(stoppingToken) : Task.CompletedTask;
        try
        {
            await ClaimLoopAsync(stoppingToken);
        }
        finally
        {
            await beats;
        }
    }

    /// <summary>
    /// Cluster mode, every heartbeat interval: renews this replica's liveness (a queued prediction pinned here is not
    /// moved to another replica while it holds), then ends the pinned jobs of replicas gone for longer than
    /// <see cref="ClusterOptions.AbandonedPredictionGrace"/> that no retry took over. Every replica reaps; the store's
    /// conditional write lets one win per job.
    /// </summary>
    private async Task ReplicaHeartbeatAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _store.RenewReplicaAsync(ReplicaId, _cluster.LeaseDuration, stoppingToken);
                await ReapAbandonedAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The liveness lasts a lease, several heartbeats: the next one may still make it.
                _logger.LogWarning(e, "Could not renew replica {Replica}'s liveness or reap abandoned predictions", ReplicaId);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(_cluster.HeartbeatInterval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Ends (failed, not resumable) each pinned job whose replica's lease and liveness expired more than the grace
    /// ago and that no retry re-pinned: nobody is attached to receive its result, and re-running it would only
    /// occupy a lane. Its handler brings its records in line (a prediction ends failed), so a later retry of the
    /// same request id runs anew.
    /// </summary>
    internal async Task ReapAbandonedAsync(CancellationToken cancellationToken)
    {
        foreach (JobRecord job in await _store.ListInStatesAsync([JobRecordState.Queued, JobRecordState.Running, JobRecordState.Cancelling], cancellationToken))
        {
            if (job.PinnedReplica.Length == 0 || job.PinnedReplica == ReplicaId)
            {
                continue;
            }

            JobRecord ended = job.Clone();
            string was = JobNames.Of(job.State);
            ended.State = JobRecordState.Failed;
            ended.EndTime = Timestamp.FromDateTime(_time.GetUtcNow().UtcDateTime);
            ended.Resumable = false;
            ended.Error = new JobErrorRecord
            {
                Code = (int)ProblemKind.Aborted,
                Message = $"Abandoned: replica '{job.PinnedReplica}' stopped while this job was {was}, and no retry of its request took it over within " +
                    $"{_cluster.AbandonedPredictionGrace.TotalSeconds:0.#} s, so nobody is waiting for its result. Send the request again " +
                    "(the same request_id is fine) to run it anew.",
            };
            Bump(ended);
            if (!await _store.TryAbandonAsync(ended, job.PinnedReplica, _cluster.AbandonedPredictionGrace, cancellationToken))
            {
                continue;
            }

            _logger.LogWarning("Job {JobId} ({Kind}) was abandoned by replica {Replica} ({State}) and not taken over in time; ended failed", job.Id, job.Kind, job.PinnedReplica, was);
            if (_handlers.TryGetValue(job.Kind, out IJobHandler? handler))
            {
                await handler.AbandonedAsync(ended, cancellationToken);
            }

            _metrics.RecordJobFinished(JobNames.Of(ended.Kind), JobNames.Of(ended.State), 0);
            _changes.Notify();
        }
    }

    private async Task ClaimLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // Taken before claiming: a wake during the claims completes this signal, so the loop claims again.
            TaskCompletionSource signal = Volatile.Read(ref _signal);
            await ClaimAvailableAsync();
            using (var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                await Task.WhenAny(signal.Task, Task.Delay(_cluster.PollInterval, _time, poll.Token));
                await poll.CancelAsync();
            }

            Interlocked.CompareExchange(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), signal);
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

        // Running jobs observe the stopping token and end as INTERRUPTED (cluster: handed over); wait for them to write that down.
        await Task.WhenAll(tasks).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        if (_cluster.Enabled)
        {
            try
            {
                // Gone now, not a lease from now: a retry of a prediction accepted here may move it at once.
                await _store.RenewReplicaAsync(ReplicaId, TimeSpan.Zero, cancellationToken);
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "Could not mark replica {Replica} stopped; its liveness simply expires", ReplicaId);
            }
        }
    }

    /// <summary>
    /// Revisions come from the clock (microseconds), never below the previous one plus one, so they keep increasing
    /// across restarts even though progress-only revisions reach the database at most once per persist interval.
    /// </summary>
    private static long NextRevision(long previous) => Math.Max(previous + 1, DateTime.UtcNow.Ticks / 10);

    private static void Bump(JobRecord job) => job.Revision = NextRevision(job.Revision);

    /// <summary>Looks for claimable jobs now rather than at the next poll (a notification said a job changed on another replica).</summary>
    public void Wake() => Volatile.Read(ref _signal).TrySetResult();

    private void ForgetPrepared(string id)
    {
        lock (_gate)
        {
            _prepared.Remove(id);
        }
    }

    /// <summary>A job was queued here: local watchers see it at once (single node), and the claim loop looks now.</summary>
    private void Announce(JobRecord job)
    {
        if (!_cluster.Enabled)
        {
            // Single node: this runner will run it, so its hub slot stays live. In a cluster another replica may run
            // it, and watchers here follow it from the store instead.
            _hub.Publish(job);
        }

        _changes.Notify();
        Wake();
    }

    private JobClaimRequest ClaimRequest()
    {
        lock (_gate)
        {
            var lanes = new List<JobLaneSlot>();
            foreach (string device in _options.Concurrency.Keys.Union(_lanes.Keys, StringComparer.Ordinal))
            {
                LaneState lane = Lane(device);
                lanes.Add(new JobLaneSlot(device, lane.Running, lane.Capacity, lane.Exclusive));
            }

            return new JobClaimRequest(Owner, ReplicaId, lanes, _exclusiveKinds, _cluster.LeaseDuration)
            {
                // A replica claims only the devices it is configured with; a single node runs whatever it is given.
                UnlistedLaneCapacity = _cluster.Enabled ? 0 : OptionDefaults.UnlistedLaneConcurrency,
            };
        }
    }

    private async Task ClaimAvailableAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            ClaimedJob? claimed;
            try
            {
                claimed = await _store.ClaimNextAsync(ClaimRequest(), CancellationToken.None);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Could not claim the next job; trying again at the next poll");
                return;
            }

            if (claimed is null)
            {
                return;
            }

            Start(claimed);
        }
    }

    private void Start(ClaimedJob claimed)
    {
        JobRecord job = claimed.Job;
        bool takeover = job.State is JobRecordState.Running or JobRecordState.Cancelling;
        if (takeover)
        {
            // Its holder's lease expired (the replica died or stalled): a new attempt, from the last checkpoint.
            job.Attempt++;
            _logger.LogWarning("Job {JobId} ({Kind}) lost its runner; taking it over as attempt {Attempt}", job.Id, job.Kind, job.Attempt);
        }

        RunningJob running;
        RunningJob? previous;
        lock (_gate)
        {
            LaneState lane = Lane(job.Device);
            bool exclusive = _handlers.TryGetValue(job.Kind, out IJobHandler? handler) && handler.Exclusive;
            lane.Running++;
            lane.Exclusive |= exclusive;
            running = new RunningJob(job, claimed.Lease, CancellationTokenSource.CreateLinkedTokenSource(_stopping))
            {
                CancelRequested = claimed.CancelRequested || job.State == JobRecordState.Cancelling,
                Exclusive = exclusive,
            };
            if (!takeover && _prepared.Remove(job.Id, out object? prepared))
            {
                running.Prepared = prepared;
            }

            // This runner's own earlier run of the job (its lease expired while it stalled): fenced out by this claim.
            _running.Remove(job.Id, out previous);
            _running.Add(job.Id, running);
            running.Task = Task.Run(() => RunAsync(running));
        }

        if (previous is not null)
        {
            _ = LoseLeaseAsync(previous);
        }
    }

    private LaneState Lane(string device)
    {
        if (!_lanes.TryGetValue(device, out LaneState? lane))
        {
            int capacity = _options.Concurrency.TryGetValue(device, out int configured) ? Math.Max(1, configured)
                : _cluster.Enabled ? 0 : OptionDefaults.UnlistedLaneConcurrency;
            lane = new LaneState(capacity);
            _lanes.Add(device, lane);
        }

        return lane;
    }

    /// <summary>A fenced write of a running job's record; false (and the job's work here cancelled) when the lease was lost.</summary>
    /// <remarks>
    /// <paramref name="untilStored"/> (a job's final state): while the database cannot be reached the write is tried
    /// again every heartbeat interval, so an outcome is never reported that the store does not have; the lease rules
    /// still decide once it is back (a take-over in the meantime fences the write off).
    /// </remarks>
    private async Task<bool> WriteAsync(RunningJob running, JobRecord snapshot, bool untilStored = false)
    {
        if (running.LeaseLost)
        {
            return false;
        }

        bool landed;
        while (true)
        {
            try
            {
                landed = await _store.UpdateAsync(snapshot, running.Lease, CancellationToken.None);
                break;
            }
            catch (Exception e) when (untilStored && StoreOutages.IsDatabaseOutage(e) && !_stopping.IsCancellationRequested)
            {
                _logger.LogWarning(e, "Could not record the final state of job {JobId}: the database cannot be reached; trying again", running.Id);
                try
                {
                    await Task.Delay(_cluster.HeartbeatInterval, _time, _stopping);
                }
                catch (OperationCanceledException)
                {
                    return true;
                }
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Could not record the state of job {JobId}", running.Id);
                return true;
            }
        }

        if (!landed)
        {
            await LoseLeaseAsync(running);
        }

        _changes.Notify();
        return landed;
    }

    private async Task LoseLeaseAsync(RunningJob running)
    {
        lock (running.Gate)
        {
            if (running.LeaseLost)
            {
                return;
            }

            running.LeaseLost = true;
        }

        _logger.LogError("The lease on job {JobId} (attempt {Attempt}) was lost to another runner; its work here stops and writes nothing more", running.Id, running.Attempt);
        try
        {
            await running.Cancellation.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task RunAsync(RunningJob running)
    {
        IJobHandler handler = _handlers[running.Job.Kind];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var background = new CancellationTokenSource();
        Task flusher = Task.CompletedTask;
        Task heartbeat = Task.CompletedTask;
        JobRecord snapshot;
        if (running.CancelRequested)
        {
            // Cancelled while queued (or while cancelling on a replica that died): it ends here without running.
            Finish(running, JobRecordState.Cancelled, null, null);
        }
        else
        {
            lock (running.Gate)
            {
                DateTime now = _time.GetUtcNow().UtcDateTime;
                running.Job.State = JobRecordState.Running;
                running.Job.StartTime = Timestamp.FromDateTime(now);
                running.Job.Progress = new JobProgressRecord { Stage = "starting", Message = "Started" };
                running.Job.Attempts.Add(new JobAttemptRecord { Attempt = running.Attempt, Replica = ReplicaId, LeaseGeneration = running.Lease.Generation, StartTime = Timestamp.FromDateTime(now) });
                Bump(running.Job);
                snapshot = running.Job.Clone();
            }

            try
            {
                // Heartbeats start from the claim, not once the job is set up: the start-up writes and reads below take
                // a while on a loaded store, and a lease left unrenewed through them expires under a live replica.
                heartbeat = HeartbeatAsync(running, background.Token);
                if (await WriteAsync(running, snapshot))
                {
                    _hub.Publish(snapshot);
                    var context = new JobContext(
                        this, running, await _store.GetSpecAsync(running.Id, CancellationToken.None), await _store.GetCheckpointAsync(running.Id, CancellationToken.None),
                        _directory.JobDirectory(running.Id));
                    flusher = FlushProgressAsync(running, background.Token);
                    _logger.LogInformation("Job {JobId} ({Kind}) started, attempt {Attempt}", running.Id, running.Job.Kind, running.Attempt);
                    JobResultRecord result = await handler.RunAsync(context, running.Cancellation.Token);
                    Finish(running, JobRecordState.Succeeded, null, result);
                }
            }
            catch (OperationCanceledException) when (running.Cancellation.IsCancellationRequested)
            {
                if (running.LeaseLost)
                {
                    // Another runner holds the job now; it writes the outcome.
                }
                else if (running.CancelRequested)
                {
                    Finish(running, JobRecordState.Cancelled, null, null);
                }
                else if (_cluster.Enabled)
                {
                    // Shutting down one replica of several: the job goes back to the queue as it is (released below,
                    // still running), and the next replica with its lane takes it over from the last checkpoint.
                    running.HandOver = true;
                }
                else
                {
                    Finish(running, JobRecordState.Interrupted, new JobErrorRecord { Code = (int)ProblemKind.Aborted, Message = $"The server shut down while this job was running. Resume it with `disco jobs resume {running.Id}`." }, null);
                }
            }
            catch (Exception e) when (StoreOutages.HandsJobBack(e, _directory, _cluster.Enabled))
            {
                // The database or the shared blob root went away under the job (a checkpoint or an output could not be
                // recorded, or an input could not be read, which a handler or the engine may report in its own words,
                // e.g. as a missing input): while the root is gone no failure is the job's own. It stays running in the store, as after a kill; its lease is kept, not released, so
                // once it has expired (and the store is back, or it is taken over again) a replica, this one included,
                // takes it over from the last checkpoint it did record, rather than retrying at once in a loop.
                _logger.LogWarning(e, "Job {JobId} ({Kind}) stopped: a shared store could not be reached; it is taken up again once the store is back", running.Id, running.Job.Kind);
                running.HandOver = true;
                running.StoreOutage = true;
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
        }

        await background.CancelAsync();
        await Task.WhenAll(flusher, heartbeat).ContinueWith(_ => { }, TaskScheduler.Default);
        lock (running.Gate)
        {
            running.Ended = true;
            snapshot = running.Job.Clone();
        }

        bool landed = !running.LeaseLost && (running.HandOver || await WriteAsync(running, snapshot, untilStored: true));
        if (landed && !running.StoreOutage)
        {
            try
            {
                await _store.ReleaseAsync(running.Id, running.Lease, CancellationToken.None);
            }
            catch (Exception e)
            {
                // The lease then simply expires.
                _logger.LogWarning(e, "Could not release the lease on job {JobId}", running.Id);
            }
        }

        // Forget the job before announcing its end: whoever sees the final state and then cancels or resumes must find
        // it finished (the store has it), not still among the running ones.
        lock (_gate)
        {
            if (_running.TryGetValue(running.Id, out RunningJob? current) && current == running)
            {
                _running.Remove(running.Id);
            }

            LaneState lane = Lane(snapshot.Device);
            lane.Running--;
            if (running.Exclusive)
            {
                lane.Exclusive = false;
            }
        }

        if (landed && !running.HandOver)
        {
            _hub.Publish(snapshot);
            _metrics.RecordJobFinished(JobNames.Of(snapshot.Kind), JobNames.Of(snapshot.State), clock.Elapsed.TotalSeconds);
            _logger.LogInformation("Job {JobId} ({Kind}) ended {State} after {Seconds:F1} s", snapshot.Id, snapshot.Kind, snapshot.State, clock.Elapsed.TotalSeconds);
        }
        else
        {
            // Not ours any more (or handed over): local watchers continue from the store, where the new holder writes.
            _hub.Detach(running.Id);
            _logger.LogInformation("Job {JobId} attempt {Attempt} stopped here after {Seconds:F1} s; {What}", snapshot.Id, running.Attempt, clock.Elapsed.TotalSeconds,
                running.HandOver ? "another replica takes it over" : "another runner holds it");
        }

        running.Cancellation.Dispose();
        Wake();
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
            job.EndTime = Timestamp.FromDateTime(_time.GetUtcNow().UtcDateTime);
            job.Resumable = resumable && state is JobRecordState.Interrupted or JobRecordState.Failed or JobRecordState.Cancelled;
            if (state == JobRecordState.Succeeded)
            {
                job.Progress = new JobProgressRecord { Fraction = 1, Stage = "done", Message = "Finished", Metrics = { job.Progress?.Metrics ?? new Google.Protobuf.Collections.MapField<string, double>() } };
            }

            Bump(job);
        }
    }

    /// <summary>
    /// The heartbeat, on the injected clock: renews the lease every <see cref="ClusterOptions.HeartbeatInterval"/>;
    /// stops the job's work here when the lease was lost, and cancels it when a cancel was requested on any replica.
    /// </summary>
    private async Task HeartbeatAsync(RunningJob running, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_cluster.HeartbeatInterval, _time, cancellationToken);
                JobLeaseStatus status;
                try
                {
                    status = await _store.RenewAsync(running.Id, running.Lease, _cluster.LeaseDuration, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A store hiccup: the lease lasts several heartbeats, so the next one may still make it.
                    _logger.LogWarning(e, "Could not renew the lease on job {JobId}", running.Id);
                    continue;
                }

                if (!status.Held)
                {
                    await LoseLeaseAsync(running);
                    return;
                }

                if (status.CancelRequested && !running.CancelRequested)
                {
                    _logger.LogInformation("Job {JobId}: a cancel was requested on another replica", running.Id);
                    await CancelLocalAsync(running);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>While a job runs: writes its progress (fenced) at most once per persist interval.</summary>
    private async Task FlushProgressAsync(RunningJob running, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.ProgressPersistInterval > TimeSpan.Zero ? _options.ProgressPersistInterval : TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                JobRecord? snapshot = null;
                lock (running.Gate)
                {
                    if (running.ProgressDirty && running.Job.State is JobRecordState.Running or JobRecordState.Cancelling)
                    {
                        running.ProgressDirty = false;
                        snapshot = running.Job.Clone();
                    }
                }

                if (snapshot is not null && !await WriteAsync(running, snapshot))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal sealed class RunningJob(JobRecord job, JobLease lease, CancellationTokenSource cancellation)
    {
        public object Gate { get; } = new();

        public JobRecord Job { get; } = job;

        public string Id { get; } = job.Id;

        public int Attempt { get; } = job.Attempt;

        /// <summary>The claim every write for this run is fenced with.</summary>
        public JobLease Lease { get; } = lease;

        public JobResultRecord? PresetResult { get; } = job.Result?.Clone();

        public CancellationTokenSource Cancellation { get; } = cancellation;

        public bool CancelRequested { get; set; }

        public bool Exclusive { get; init; }

        /// <summary>Another runner claimed the job since: this run writes nothing more.</summary>
        public bool LeaseLost { get; set; }

        /// <summary>Stopped by a replica's shutdown: released as it is, for another replica to take over.</summary>
        public bool HandOver { get; set; }

        /// <summary>Handed over because a shared store was out of reach: the lease is left to expire, which spaces the retries.</summary>
        public bool StoreOutage { get; set; }

        public bool Ended { get; set; }

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
