using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Tests.Cluster;

/// <summary>
/// A real job store whose first write of a job's Running state waits until <see cref="LetStartWriteLand"/>: a store
/// slow to take a job's start-up writes, as a loaded PostgreSQL is. Counts lease renewals made meanwhile.
/// </summary>
internal sealed class SlowStartJobStore(IJobStore inner) : IJobStore
{
    private readonly TaskCompletionSource _startWriteReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _startWriteHeld;

    public TaskCompletionSource StartWriteArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource RenewedDuringStart { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void LetStartWriteLand() => _startWriteReleased.TrySetResult();

    public async Task<bool> UpdateAsync(JobRecord job, JobLease lease, CancellationToken cancellationToken)
    {
        if (job.State == JobRecordState.Running && Interlocked.Exchange(ref _startWriteHeld, 1) == 0)
        {
            StartWriteArrived.TrySetResult();
            await _startWriteReleased.Task.WaitAsync(cancellationToken);
        }

        return await inner.UpdateAsync(job, lease, cancellationToken);
    }

    public async Task<JobLeaseStatus> RenewAsync(string id, JobLease lease, TimeSpan duration, CancellationToken cancellationToken)
    {
        if (!_startWriteReleased.Task.IsCompleted)
        {
            RenewedDuringStart.TrySetResult();
        }

        return await inner.RenewAsync(id, lease, duration, cancellationToken);
    }

    public Task InsertAsync(JobRecord job, JobSpecRecord spec, CancellationToken cancellationToken) => inner.InsertAsync(job, spec, cancellationToken);

    public Task<bool> TryUpdateUnclaimedAsync(JobRecord job, IReadOnlyCollection<JobRecordState> expectedStates, CancellationToken cancellationToken) =>
        inner.TryUpdateUnclaimedAsync(job, expectedStates, cancellationToken);

    public Task<bool> TryRepinAsync(JobRecord job, string previousReplica, CancellationToken cancellationToken) =>
        inner.TryRepinAsync(job, previousReplica, cancellationToken);

    public Task RenewReplicaAsync(string replica, TimeSpan duration, CancellationToken cancellationToken) =>
        inner.RenewReplicaAsync(replica, duration, cancellationToken);

    public Task<bool> TryAbandonAsync(JobRecord ended, string pinnedReplica, TimeSpan grace, CancellationToken cancellationToken) =>
        inner.TryAbandonAsync(ended, pinnedReplica, grace, cancellationToken);

    public Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken) => inner.GetAsync(id, cancellationToken);

    public Task<JobRecord?> FindByRequestIdAsync(string requestId, CancellationToken cancellationToken) => inner.FindByRequestIdAsync(requestId, cancellationToken);

    public Task<IReadOnlyList<JobRecord>> ListInStatesAsync(IReadOnlyCollection<JobRecordState> states, CancellationToken cancellationToken) =>
        inner.ListInStatesAsync(states, cancellationToken);

    public Task<RecordPage<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken) => inner.ListAsync(query, cancellationToken);

    public Task<JobSpecRecord> GetSpecAsync(string id, CancellationToken cancellationToken) => inner.GetSpecAsync(id, cancellationToken);

    public Task<byte[]?> GetCheckpointAsync(string id, CancellationToken cancellationToken) => inner.GetCheckpointAsync(id, cancellationToken);

    public Task<bool> SaveCheckpointAsync(string id, JobLease lease, byte[] checkpoint, CancellationToken cancellationToken) =>
        inner.SaveCheckpointAsync(id, lease, checkpoint, cancellationToken);

    public Task<IReadOnlyList<(JobRecordKind Kind, JobRecordState State, long Count)>> CountByKindAndStateAsync(CancellationToken cancellationToken) =>
        inner.CountByKindAndStateAsync(cancellationToken);

    public Task<ClaimedJob?> ClaimNextAsync(JobClaimRequest request, CancellationToken cancellationToken) => inner.ClaimNextAsync(request, cancellationToken);

    public Task ReleaseAsync(string id, JobLease lease, CancellationToken cancellationToken) => inner.ReleaseAsync(id, lease, cancellationToken);

    public Task<bool> RequestCancelAsync(string id, CancellationToken cancellationToken) => inner.RequestCancelAsync(id, cancellationToken);

    public Task ReleaseAllAsync(CancellationToken cancellationToken) => inner.ReleaseAllAsync(cancellationToken);
}
