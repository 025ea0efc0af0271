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
/// Jobs: the record, the spec a job was started with, its last checkpoint, and who runs it.
/// </summary>
/// <remarks>
/// Running is claimed with a lease: <see cref="TryClaimAsync"/> succeeds for one owner at a time, the owner renews the
/// lease while it works (<see cref="RenewAsync"/>, a heartbeat) and releases it when the job ends
/// (<see cref="ReleaseAsync"/>). A lease that is not renewed expires, so a job whose process crashed can be claimed
/// again, by another process of a shared (PostgreSQL) store, or by the next start of this one. Expiry is read from the
/// store's <see cref="TimeProvider"/>, never from a sleep.
/// </remarks>
internal interface IJobStore
{
    /// <summary>Inserts a new job. Throws <see cref="RequestIdTakenException"/> when its request id is already used.</summary>
    Task InsertAsync(JobRecord job, JobSpecRecord spec, CancellationToken cancellationToken);

    /// <summary>Writes the job's state and record (not its lease).</summary>
    Task UpdateAsync(JobRecord job, CancellationToken cancellationToken);

    Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken);

    Task<JobRecord?> FindByRequestIdAsync(string requestId, CancellationToken cancellationToken);

    Task<IReadOnlyList<JobRecord>> ListInStatesAsync(IReadOnlyCollection<JobRecordState> states, CancellationToken cancellationToken);

    Task<RecordPage<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken);

    /// <summary>The spec the job was created with; an empty spec when the job does not exist.</summary>
    Task<JobSpecRecord> GetSpecAsync(string id, CancellationToken cancellationToken);

    Task<byte[]?> GetCheckpointAsync(string id, CancellationToken cancellationToken);

    /// <summary>Stores a small checkpoint durably before returning.</summary>
    Task SaveCheckpointAsync(string id, byte[] checkpoint, CancellationToken cancellationToken);

    /// <summary>Counts of jobs by kind and state, for /metrics.</summary>
    Task<IReadOnlyList<(JobRecordKind Kind, JobRecordState State, long Count)>> CountByKindAndStateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Claims the job for <paramref name="owner"/> until now + <paramref name="lease"/>: true when nobody holds a live
    /// lease on it (or <paramref name="owner"/> already does), false when another owner does.
    /// </summary>
    Task<bool> TryClaimAsync(string id, string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Extends <paramref name="owner"/>'s lease to now + <paramref name="lease"/>; false when the lease was lost (expired and claimed by another owner) or released.</summary>
    Task<bool> RenewAsync(string id, string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Gives up <paramref name="owner"/>'s lease, if it still holds it.</summary>
    Task ReleaseAsync(string id, string owner, CancellationToken cancellationToken);

    /// <summary>
    /// Voids every lease: for a store only one process uses (the data directory's lock makes sure of it), whose leases
    /// at start can only belong to a process that died.
    /// </summary>
    Task ReleaseAllAsync(CancellationToken cancellationToken);
}
