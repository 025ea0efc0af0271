using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Storage;

/// <summary>Which jobs a list returns: those after <paramref name="AfterId"/> in id (creation) order, at most <paramref name="Limit"/>, narrowed by the filters that are set.</summary>
internal sealed record JobQuery(string? AfterId, int Limit)
{
    public JobRecordKind? Kind { get; init; }

    public JobRecordState? State { get; init; }
}

/// <summary>
/// Another job already holds the request id a new job was inserted with: a concurrent retry of the same request won.
/// The store's own report of the clash, so callers need not know how a store signals a unique key (SQLite's error 19,
/// PostgreSQL's 23505).
/// </summary>
internal sealed class RequestIdTakenException(string requestId)
    : Exception($"A job with request id '{requestId}' already exists.")
{
    public string RequestId { get; } = requestId;
}

/// <summary>
/// A runner's hold on a job, the fencing token of every write it makes for the job: <paramref name="Owner"/> names the
/// runner (unique per process start, prefixed with the replica id), <paramref name="Generation"/> is the job's lease
/// generation, which every claim of the job increments. A write fenced with a lease lands only while the job's stored
/// owner and generation are still these.
/// </summary>
internal readonly record struct JobLease(string Owner, long Generation);

/// <summary>
/// One device lane of a claiming runner, as it is at the moment of the claim: <paramref name="Running"/> jobs of this
/// runner run on it, at most <paramref name="Capacity"/> may, and <paramref name="ExclusiveRunning"/> says one of the
/// running ones runs alone (nothing else may start beside it).
/// </summary>
internal sealed record JobLaneSlot(string Device, int Running, int Capacity, bool ExclusiveRunning);

/// <summary>What a runner asks <see cref="IJobStore.ClaimNextAsync"/> for.</summary>
/// <param name="Owner">The lease owner written on the claimed job (see <see cref="JobLease.Owner"/>).</param>
/// <param name="Replica">
/// The claiming replica's id: a job whose <see cref="JobRecord.PinnedReplica"/> is set is claimed only by that replica
/// (predictions stream to the call that started them, which lives on the replica it reached).
/// </param>
/// <param name="Lanes">The runner's lanes. A device not listed here has no slot unless <see cref="UnlistedLaneCapacity"/> gives it one.</param>
/// <param name="ExclusiveKinds">Job kinds that run alone on their lane (training, by default).</param>
/// <param name="Lease">How long the claim lasts without a renewal (<see cref="IJobStore.RenewAsync"/>).</param>
internal sealed record JobClaimRequest(
    string Owner, string Replica, IReadOnlyList<JobLaneSlot> Lanes, IReadOnlyCollection<JobRecordKind> ExclusiveKinds, TimeSpan Lease)
{
    /// <summary>
    /// Capacity of a device lane not named in <see cref="Lanes"/> (nothing runs on it yet). 0: such jobs are never
    /// claimed (a cluster replica claims only jobs for the devices it has); a single node gives unlisted lanes 1.
    /// </summary>
    public int UnlistedLaneCapacity { get; init; }
}

/// <summary>
/// A job <see cref="IJobStore.ClaimNextAsync"/> handed to a runner: its record exactly as stored before the claim
/// (state not changed by the claim: <see cref="JobRecordState.Queued"/>, or <see cref="JobRecordState.Running"/> /
/// <see cref="JobRecordState.Cancelling"/> when an earlier holder's lease expired), the new lease, and whether a cancel
/// was requested (<see cref="IJobStore.RequestCancelAsync"/>).
/// </summary>
internal sealed record ClaimedJob(JobRecord Job, JobLease Lease, bool CancelRequested);

/// <summary>What a heartbeat learnt: whether the lease is still held, and whether a cancel was requested since the claim.</summary>
internal readonly record struct JobLeaseStatus(bool Held, bool CancelRequested);

/// <summary>
/// Jobs: the record, the spec a job was started with, its last checkpoint, and who runs it. The store is the queue:
/// queued jobs live here, and every runner (one per replica) claims from it.
/// </summary>
/// <remarks>
/// <para>
/// Running is claimed with a lease. <see cref="ClaimNextAsync"/> picks the next job for one of the claimant's lanes
/// and writes, in one atomic step, the owner, an expiry (store clock now + lease) and the lease generation + 1. The
/// owner renews the lease while it works (<see cref="RenewAsync"/>, the heartbeat) and releases it when the job ends
/// (<see cref="ReleaseAsync"/>). A lease that is not renewed expires, and the job becomes claimable again: by another
/// replica of a shared (PostgreSQL) store, or by the next start of a single node. Expiry is read from the store's
/// <see cref="TimeProvider"/> (or the database clock), never from a sleep.
/// </para>
/// <para>
/// Fencing: every write a runner makes for a job it runs (<see cref="UpdateAsync(JobRecord, JobLease, CancellationToken)"/>,
/// <see cref="SaveCheckpointAsync"/>) takes the <see cref="JobLease"/> of its claim and lands only when the job's
/// stored owner and generation are still that lease's (expiry is not checked: an expired lease that nobody claimed
/// since is still the newest, and nobody else can write). A later claim increments the generation, so a stale
/// holder's writes are rejected (false) from then on. Writes by anyone else (cancel, resume, start-up recovery) go
/// through <see cref="TryUpdateUnclaimedAsync"/>, which refuses a job somebody holds a live lease on.
/// </para>
/// <para>
/// Columns a store keeps beside the record: state, kind, device, priority, request id, pinned replica (from the
/// record at insert; changed only by <see cref="IJobStore.TryRepinAsync"/>), lease owner, lease expiry, lease generation (starts at 0, never reset),
/// cancel requested (a flag).
/// </para>
/// </remarks>
internal interface IJobStore
{
    /// <summary>
    /// Inserts a new job (normally <see cref="JobRecordState.Queued"/>, which makes it claimable at once), with lease
    /// generation 0, no lease and no cancel request. Throws <see cref="RequestIdTakenException"/> when its request id is already used.
    /// </summary>
    Task InsertAsync(JobRecord job, JobSpecRecord spec, CancellationToken cancellationToken);

    /// <summary>
    /// The fenced write of a running job's state and record: lands only when the stored lease owner and generation are
    /// <paramref name="lease"/>'s. True when it landed; false when the lease was lost (another claim since) or the job
    /// is gone, and nothing was written. Does not change the lease or the cancel request.
    /// </summary>
    Task<bool> UpdateAsync(JobRecord job, JobLease lease, CancellationToken cancellationToken);

    /// <summary>
    /// The write of a job nobody runs (cancelling a queued job, resuming, start-up recovery): lands only when the
    /// stored state is one of <paramref name="expectedStates"/> and nobody holds a live lease (no owner, or the
    /// expiry is at or before now), in one atomic step, so it cannot interleave with a claim or another such write.
    /// On landing it also clears the lease owner and expiry (the generation stays), and clears the cancel request
    /// when <paramref name="job"/>'s new state is <see cref="JobRecordState.Queued"/> (a resume starts afresh).
    /// True when it landed.
    /// </summary>
    Task<bool> TryUpdateUnclaimedAsync(JobRecord job, IReadOnlyCollection<JobRecordState> expectedStates, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a pinned job (a prediction) to another replica when the replica it was pinned to is gone: the stored
    /// pinned replica becomes <paramref name="job"/>'s <see cref="JobRecord.PinnedReplica"/> and the record is
    /// written, only when the job is queued, running or cancelling, its pinned replica is still
    /// <paramref name="previousReplica"/>, nobody holds a live lease (no owner, or expiry at or before now), and
    /// <paramref name="previousReplica"/> is not alive (<see cref="RenewReplicaAsync"/>: no liveness row, or one that
    /// expired at or before now), in one atomic step. A queued job has no lease, so the replica's liveness is what
    /// keeps it where the call that started it waits; of two replicas re-pinning at once only one matches the
    /// previous pin. The lease owner, expiry and generation stay, so the next claim by the new replica is a take-over
    /// (a new attempt, generation + 1) that fences out the old holder. True when it landed.
    /// </summary>
    Task<bool> TryRepinAsync(JobRecord job, string previousReplica, CancellationToken cancellationToken);

    /// <summary>
    /// The replica heartbeat: records that <paramref name="replica"/> is alive until now + <paramref name="duration"/>
    /// (store clock). <see cref="TimeSpan.Zero"/> marks it stopped at once (a clean shutdown). A replica that never
    /// renewed counts as not alive.
    /// </summary>
    Task RenewReplicaAsync(string replica, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>
    /// Ends a pinned job whose replica is gone and that no retry took over: writes <paramref name="ended"/> (a final
    /// state) and clears the lease owner and expiry, only when the job is queued, running or cancelling, its pinned
    /// replica is still <paramref name="pinnedReplica"/>, its lease (if any) expired at least <paramref name="grace"/>
    /// ago, and the replica's liveness expired at least <paramref name="grace"/> ago (or it never had one), in one
    /// atomic step: a re-pin (<see cref="TryRepinAsync"/>) in the meantime makes it refuse. True when it landed.
    /// </summary>
    Task<bool> TryAbandonAsync(JobRecord ended, string pinnedReplica, TimeSpan grace, CancellationToken cancellationToken);

    Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken);

    Task<JobRecord?> FindByRequestIdAsync(string requestId, CancellationToken cancellationToken);

    Task<IReadOnlyList<JobRecord>> ListInStatesAsync(IReadOnlyCollection<JobRecordState> states, CancellationToken cancellationToken);

    Task<RecordPage<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken);

    /// <summary>The spec the job was created with; an empty spec when the job does not exist.</summary>
    Task<JobSpecRecord> GetSpecAsync(string id, CancellationToken cancellationToken);

    Task<byte[]?> GetCheckpointAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a small checkpoint durably before returning, fenced like <see cref="UpdateAsync(JobRecord, JobLease, CancellationToken)"/>:
    /// false (nothing written) when the lease was lost.
    /// </summary>
    Task<bool> SaveCheckpointAsync(string id, JobLease lease, byte[] checkpoint, CancellationToken cancellationToken);

    /// <summary>Counts of jobs by kind and state, for /metrics.</summary>
    Task<IReadOnlyList<(JobRecordKind Kind, JobRecordState State, long Count)>> CountByKindAndStateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Claims the next job for one of the claimant's lanes, or returns null when none may start now.
    /// <para>
    /// Candidates: jobs in state <see cref="JobRecordState.Queued"/>, <see cref="JobRecordState.Running"/> or
    /// <see cref="JobRecordState.Cancelling"/> on which nobody holds a live lease (no owner, or expiry at or before
    /// now: the holder died), whose pinned replica is empty or the claimant's. Per device, the candidates are ordered
    /// by priority (highest first), then id (oldest first); the first is the lane's head. A head is admissible when
    /// its device is one of <see cref="JobClaimRequest.Lanes"/> (else a lane with nothing running and capacity
    /// <see cref="JobClaimRequest.UnlistedLaneCapacity"/>) and: for an exclusive kind, nothing runs on the lane;
    /// otherwise no exclusive job runs on it and Running &lt; Capacity. Only heads are considered: a job behind a head
    /// that must wait is never claimed before it. Of the admissible heads, the one with the highest priority, then the
    /// oldest id, is claimed.
    /// </para>
    /// <para>
    /// The claim writes, atomically with the choice (two claimants never get the same job and generation): owner =
    /// <see cref="JobClaimRequest.Owner"/>, expiry = now + <see cref="JobClaimRequest.Lease"/>, generation + 1. State
    /// and record are not changed: the runner writes them next, fenced with the returned lease. Null means that nothing
    /// is admissible for this claimant now, also while other claimants are claiming.
    /// </para>
    /// </summary>
    Task<ClaimedJob?> ClaimNextAsync(JobClaimRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// The heartbeat: extends the lease to now + <paramref name="duration"/> when the stored owner and generation are
    /// still <paramref name="lease"/>'s (even if it had expired: nobody claimed it since). Reports whether it was held
    /// and whether a cancel was requested.
    /// </summary>
    Task<JobLeaseStatus> RenewAsync(string id, JobLease lease, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Gives up the lease (owner and expiry cleared, generation kept) if the stored owner and generation are still <paramref name="lease"/>'s.</summary>
    Task ReleaseAsync(string id, JobLease lease, CancellationToken cancellationToken);

    /// <summary>
    /// Records a request to cancel a queued, running or cancelling job, from any replica (true); false when the job is
    /// in another state or does not exist. The runner holding the job learns it from its next <see cref="RenewAsync"/>
    /// (or a change notification); a claimant learns it from <see cref="ClaimedJob.CancelRequested"/>.
    /// </summary>
    Task<bool> RequestCancelAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Voids every lease: for a store only one process uses (the data directory's lock makes sure of it), whose leases
    /// at start can only belong to a process that died. Never called in cluster mode.
    /// </summary>
    Task ReleaseAllAsync(CancellationToken cancellationToken);
}

/// <summary>What every job store answers the same way from its other queries.</summary>
internal static class JobStoreCounts
{
    /// <summary>Queued jobs per device, for the lanes in /metrics; derived from the queued records, so each store need not count.</summary>
    public static async Task<IReadOnlyDictionary<string, int>> CountQueuedByDeviceAsync(this IJobStore store, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JobRecord job in await store.ListInStatesAsync([JobRecordState.Queued], cancellationToken))
        {
            counts[job.Device] = counts.GetValueOrDefault(job.Device) + 1;
        }

        return counts;
    }
}
