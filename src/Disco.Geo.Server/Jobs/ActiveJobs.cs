using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Jobs;

/// <summary>Refuses to delete a dataset or model that a queued or running job reads.</summary>
internal sealed class ActiveJobs(IJobStore store)
{
    public async Task ThrowIfInUseAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        foreach (JobRecord job in await store.ListInStatesAsync([JobRecordState.Queued, JobRecordState.Running, JobRecordState.Cancelling], cancellationToken))
        {
            if (job.Inputs.Contains(id))
            {
                throw Problem.FailedPrecondition("IN_USE", id,
                    $"The {resourceType} is used by {JobNames.Of(job.State)} job {job.Id} ({job.Description}). Cancel the job or wait for it to end, then delete again.");
            }
        }
    }
}
