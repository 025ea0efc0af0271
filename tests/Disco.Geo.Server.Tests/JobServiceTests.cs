using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;

namespace Disco.Geo.Server.Tests;

/// <summary>JobService over the real server, for a job that is not training, and its TrainingService aliases.</summary>
public sealed class JobServiceTests() : ServerTests("job-service")
{
    [Fact]
    public async Task JobService_gets_lists_and_watches_a_verify_job_and_the_deprecated_aliases_answer_the_same()
    {
        Dataset dataset = (await _client.UploadFileAsync(Temp.File(_files, "verify.bin", 200_000, seed: 4))).Dataset;
        Job started = await _client.VerifyDatasetAsync(dataset.Id);
        using GrpcChannel channel = GrpcChannel.ForAddress(_server.GrpcAddress);
        var jobService = new JobService.JobServiceClient(channel);

        var states = new List<Job>();
        using (AsyncServerStreamingCall<JobEvent> watch = jobService.WatchJob(new WatchJobRequest { JobId = started.Id }))
        {
            await foreach (JobEvent change in watch.ResponseStream.ReadAllAsync())
            {
                states.Add(change.Job);
            }
        }

        Job final = states[^1];
        Assert.Equal(JobKind.Verify, final.Kind);
        Assert.Equal(JobState.Succeeded, final.State);
        Assert.True(final.Result.Verify.BlobsChecked >= 1);
        Assert.Empty(final.Result.Verify.CorruptSha256);

        Job got = await jobService.GetJobAsync(new GetJobRequest { JobId = started.Id });
        Assert.Equal(final, got);
        ListJobsResponse listed = await jobService.ListJobsAsync(new ListJobsRequest { Kind = JobKind.Verify });
        Assert.Equal([started.Id], listed.Jobs.Select(j => j.Id));
        Assert.Empty((await jobService.ListJobsAsync(new ListJobsRequest { Kind = JobKind.Training })).Jobs);

        // A finished job cannot be cancelled; the refusal is the same through either service.
        RpcException refused = await Assert.ThrowsAsync<RpcException>(async () => await jobService.CancelJobAsync(new CancelJobRequest { JobId = started.Id }));
        RpcException bad = await Assert.ThrowsAsync<RpcException>(async () => await jobService.GetJobAsync(new GetJobRequest { JobId = "not-a-job" }));
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);

#pragma warning disable CS0612, CS0618 // the v1 aliases are deprecated on purpose; this checks they still answer alike
        var training = new TrainingService.TrainingServiceClient(channel);
        Assert.Equal(got, await training.GetJobAsync(new GetJobRequest { JobId = started.Id }));
        Assert.Equal(listed, await training.ListJobsAsync(new ListJobsRequest { Kind = JobKind.Verify }));
        RpcException aliasRefused = await Assert.ThrowsAsync<RpcException>(async () => await training.CancelJobAsync(new CancelJobRequest { JobId = started.Id }));
#pragma warning restore CS0612, CS0618
        Assert.Equal(refused.StatusCode, aliasRefused.StatusCode);
        Assert.Equal(refused.Status.Detail, aliasRefused.Status.Detail);
    }
}
