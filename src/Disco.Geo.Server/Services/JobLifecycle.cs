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
internal sealed class JobLifecycle(JobRunner runner, IJobStore jobs, JobHub hub)
{
    /// <summary>How often a watch looks the job up again before settling for the stored state.</summary>
    private const int MaxSettleAttempts = 100;

    /// <summary>Pause between look-ups while a job changes state between the hub and the store.</summary>
    private static readonly TimeSpan SettleDelay = TimeSpan.FromMilliseconds(20);

    /// <summary>Pause between polls of a stored job that is not final and not live (after a resume race).</summary>
    private static readonly TimeSpan StoredPollDelay = TimeSpan.FromSeconds(1);

    public async Task WatchAsync(WatchJobRequest request, IServerStreamWriter<JobEvent> responseStream, CancellationToken cancellationToken)
    {
        string id = CheckJobId(request.JobId);
        for (int attempt = 0; ; attempt++)
        {
            if (hub.Watch(id, cancellationToken) is { } live)
            {
                await foreach (JobRecord job in live.WithCancellation(cancellationToken))
                {
                    await responseStream.WriteAsync(new JobEvent { Job = job.ToApi() }, cancellationToken);
                }

                return;
            }

            JobRecord stored = await jobs.GetAsync(id, cancellationToken) ?? throw Problem.NotFound("job", id);
            if (JobHub.IsFinal(stored.State) || attempt >= MaxSettleAttempts)
            {
                // Final, or (after a resume race that never settled) the stored state is the best we know.
                await responseStream.WriteAsync(new JobEvent { Job = stored.ToApi() }, cancellationToken);
                if (JobHub.IsFinal(stored.State))
                {
                    return;
                }

                await Task.Delay(StoredPollDelay, cancellationToken);
                continue;
            }

            // The job changes state right now (ended or resumed between the two look-ups): look again shortly.
            await Task.Delay(SettleDelay, cancellationToken);
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
