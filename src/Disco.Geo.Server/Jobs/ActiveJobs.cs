using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Services;

namespace Disco.Geo.Server.Jobs;

/// <summary>Refuses to delete a dataset or model that a queued or running job reads.</summary>
internal sealed class ActiveJobs(JobStore store)
{
    public async Task ThrowIfInUseAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        foreach (Job job in await store.ListInStatesAsync([JobState.Queued, JobState.Running, JobState.Cancelling], cancellationToken))
        {
            if (job.Inputs.Contains(id))
            {
                throw Problem.FailedPrecondition("IN_USE", id,
                    $"The {resourceType} is used by {Names.Of(job.State)} job {job.Id} ({job.Description}). Cancel the job or wait for it to end, then delete again.");
            }
        }
    }
}
