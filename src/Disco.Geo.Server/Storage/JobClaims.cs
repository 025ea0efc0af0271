using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Storage;

/// <summary>
/// The scheduling rule of <see cref="IJobStore.ClaimNextAsync"/> over a store's candidates, shared by the stores so
/// every store claims alike: per device the head (priority, then age) or nothing; of the admissible heads the best.
/// </summary>
internal static class JobClaims
{
    /// <summary>The candidate to claim, or null. <paramref name="candidates"/> are the claimable jobs (see <see cref="IJobStore.ClaimNextAsync"/>).</summary>
    public static T? Choose<T>(IEnumerable<T> candidates, Func<T, JobRecord> job, JobClaimRequest request)
        where T : struct
    {
        T? best = null;
        foreach (IGrouping<string, T> lane in candidates.GroupBy(c => job(c).Device, StringComparer.Ordinal))
        {
            T head = lane.OrderBy(c => c, Order(job)).First();
            if (Admissible(job(head), request) && (best is not { } current || Order(job).Compare(head, current) < 0))
            {
                best = head;
            }
        }

        return best;
    }

    /// <summary>Whether <paramref name="head"/>, the head of its device's candidates, may start on the claimant's lane now.</summary>
    public static bool Admissible(JobRecord head, JobClaimRequest request)
    {
        JobLaneSlot lane = request.Lanes.FirstOrDefault(l => string.Equals(l.Device, head.Device, StringComparison.Ordinal))
            ?? new JobLaneSlot(head.Device, 0, request.UnlistedLaneCapacity, false);
        if (lane.Capacity <= 0)
        {
            return false;
        }

        return request.ExclusiveKinds.Contains(head.Kind) ? lane.Running == 0 : !lane.ExclusiveRunning && lane.Running < lane.Capacity;
    }

    /// <summary>Priority, highest first; then id (creation order), oldest first.</summary>
    private static IComparer<T> Order<T>(Func<T, JobRecord> job) => Comparer<T>.Create((a, b) =>
    {
        int byPriority = job(b).Priority.CompareTo(job(a).Priority);
        return byPriority != 0 ? byPriority : string.CompareOrdinal(job(a).Id, job(b).Id);
    });
}
