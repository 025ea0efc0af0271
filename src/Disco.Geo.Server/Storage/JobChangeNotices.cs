namespace Disco.Geo.Server.Storage;

/// <summary>
/// The payload of a job change notification (PostgreSQL NOTIFY): the job's id, marked when the change may let a
/// replica claim something (a job queued unpinned, re-queued, re-pinned or asked to cancel). Only marked changes wake
/// the replicas' claim loops: a running job's progress and state writes never make a job claimable elsewhere, and
/// waking every replica on each of them made claim queries grow with replicas × jobs × writes.
/// </summary>
internal static class JobChangeNotices
{
    /// <summary>Appended to the id of a change that may make a job claimable.</summary>
    public const string ClaimableSuffix = "+claim";

    /// <summary>The job id and whether the change may make it claimable.</summary>
    public static (string JobId, bool Claimable) Parse(string payload) =>
        payload.EndsWith(ClaimableSuffix, StringComparison.Ordinal) ? (payload[..^ClaimableSuffix.Length], true) : (payload, false);
}
