using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Application.Queries;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Grpc.Core;

namespace Disco.Geo.Server.Services;

/// <summary>
/// The life cycle of jobs of every kind (get, list, watch, cancel, resume), served by JobService and by the
/// deprecated TrainingService aliases of the same RPCs, so both answer alike.
/// </summary>
internal sealed class JobLifecycle(JobRunner runner, IJobStore jobs, JobHub hub, JobWatch watch)
{
    /// <summary>
    /// The job's latest state, then each change until a final state: live when it runs here, else followed in the
    /// store (it may run on another replica).
    /// </summary>
    public async Task WatchAsync(WatchJobRequest request, IServerStreamWriter<JobEvent> responseStream, CancellationToken cancellationToken)
    {
        string id = CheckJobId(request.JobId);
        IAsyncEnumerable<JobRecord> states = await watch.WatchAsync(id, cancellationToken) ?? throw Problem.NotFound("job", id);
        await foreach (JobRecord job in states.WithCancellation(cancellationToken))
        {
            await responseStream.WriteAsync(new JobEvent { Job = job.ToApi() }, cancellationToken);
        }
    }

    public async Task<Job> CancelAsync(CancelJobRequest request, CancellationToken cancellationToken) =>
        (await runner.CancelAsync(CheckJobId(request.JobId), cancellationToken)).ToApi();

    public async Task<Job> ResumeAsync(ResumeJobRequest request, CancellationToken cancellationToken) =>
        (await runner.ResumeAsync(CheckJobId(request.JobId), cancellationToken)).ToApi();

    public async Task<ListJobsResponse> ListAsync(ListJobsRequest request, CancellationToken cancellationToken)
    {
        PageRequest page = RecordQueries.Page(request.PageSize, request.PageToken);
        if (!System.Enum.IsDefined(request.Kind) || !System.Enum.IsDefined(request.State))
        {
            throw Problem.InvalidArgument(System.Enum.IsDefined(request.Kind) ? "state" : "kind", "is not a known value.");
        }

        RecordPage<JobRecord> found = await jobs.ListAsync(page.ToJobQuery() with
        {
            Kind = request.Kind == JobKind.Unspecified ? null : request.Kind.ToRecord(),
            State = request.State == JobState.Unspecified ? null : request.State.ToRecord(),
        }, cancellationToken);
        var response = new ListJobsResponse { NextPageToken = RecordQueries.NextToken(found, j => j.Id) };
        foreach (JobRecord job in found.Items)
        {
            // Progress reaches the database at most once a second; the hub has the latest.
            response.Jobs.Add((hub.TryGetLatest(job.Id, out JobRecord live) ? live : job).ToApi());
        }

        return response;
    }

    public async Task<Job> GetAsync(GetJobRequest request, CancellationToken cancellationToken)
    {
        string id = CheckJobId(request.JobId);
        return (hub.TryGetLatest(id, out JobRecord live) ? live : await jobs.GetAsync(id, cancellationToken) ?? throw Problem.NotFound("job", id)).ToApi();
    }

    private static string CheckJobId(string id) =>
        Ids.IsId(Ids.Job, id) ? id : throw Problem.InvalidArgument("job_id", $"'{ClientText.Shorten(id)}' is not a job id; job ids look like job_01J... (see `disco jobs list`).");
}
