using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Jobs;

/// <summary>Runs the jobs of one kind inside the <see cref="JobRunner"/>.</summary>
internal interface IJobHandler
{
    JobRecordKind Kind { get; }

    /// <summary>True when jobs of this kind run alone on their device lane.</summary>
    bool Exclusive { get; }

    /// <summary>
    /// Does the work. Throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires
    /// (cancel or shutdown) and <see cref="JobFailedException"/> for failures with a message the user can act on.
    /// Saves checkpoints through the context so a resumed attempt can continue.
    /// </summary>
    Task<JobResultRecord> RunAsync(JobContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Called once after the runner ended <paramref name="job"/> as abandoned without running it to its end (a pinned
    /// job whose replica died and that nobody took over, see <see cref="Storage.IJobStore.TryAbandonAsync"/>): the
    /// handler brings the records it owns in line with the job's failed state. Nothing to do by default.
    /// </summary>
    Task AbandonedAsync(JobRecord job, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A job failed for a reason the user can fix: a <see cref="ProblemException"/> raised while a job runs.</summary>
internal sealed class JobFailedException(ProblemKind kind, string message) : ProblemException(kind, message)
{

    /// <summary>
    /// Whether resuming a job that failed with <paramref name="kind"/> can succeed: not for a request the server
    /// refuses (bad arguments, missing inputs, a precondition only a new request can meet, a missing engine); yes for
    /// transient and internal failures (a full disk, an aborted step, a bug fixed by an upgrade).
    /// </summary>
    public static bool ResumeCanFix(ProblemKind kind) => kind is not (ProblemKind.InvalidArgument or ProblemKind.NotFound or ProblemKind.FailedPrecondition
        or ProblemKind.OutOfRange or ProblemKind.PermissionDenied or ProblemKind.Unimplemented);
}
