using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Storage;
using Grpc.Core;

namespace Disco.Geo.Server.Services;

/// <summary>JobService: the life cycle of jobs of every kind.</summary>
internal sealed class JobGrpcService(JobRunner runner, IJobStore jobs, JobHub hub, JobWatch watch) : JobService.JobServiceBase
{
    private readonly JobLifecycle _lifecycle = new(runner, jobs, hub, watch);

    public override Task<Job> GetJob(GetJobRequest request, ServerCallContext context) =>
        _lifecycle.GetAsync(request, context.CancellationToken);

    public override Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context) =>
        _lifecycle.ListAsync(request, context.CancellationToken);

    public override Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobEvent> responseStream, ServerCallContext context) =>
        _lifecycle.WatchAsync(request, responseStream, context.CancellationToken);

    public override Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context) =>
        _lifecycle.CancelAsync(request, context.CancellationToken);

    public override Task<Job> ResumeJob(ResumeJobRequest request, ServerCallContext context) =>
        _lifecycle.ResumeAsync(request, context.CancellationToken);
}
