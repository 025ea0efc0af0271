using System.Runtime.CompilerServices;
using Disco.Geo.Protos.V1;
using Grpc.Core;

namespace Disco.Geo.Client;

/// <summary>
/// Jobs on a Disco.Geo server: starting training, and the life cycle of jobs of every kind (watch, wait, cancel,
/// resume, list). Reached through <see cref="DiscoClient.Jobs"/>; thread-safe.
/// </summary>
public sealed class JobsClient
{
    private readonly DiscoCalls _calls;
    private readonly JobService.JobServiceClient _jobs;
    private readonly TrainingService.TrainingServiceClient _training;

    internal JobsClient(DiscoCalls calls, JobService.JobServiceClient jobs, TrainingService.TrainingServiceClient training)
    {
        _calls = calls;
        _jobs = jobs;
        _training = training;
    }

    /// <summary>True for states after which a job does not change unless resumed.</summary>
    /// <param name="state">The state.</param>
    public static bool IsFinal(JobState state) =>
        state is JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.Interrupted;

    /// <summary>Queues a training job; a request id is added when missing so a retried call cannot start two jobs.</summary>
    /// <param name="request">Datasets, task, model configuration and hyper-parameters.</param>
    /// <param name="cancellationToken">Cancels the call (not the job).</param>
    public Task<Job> StartTrainingAsync(StartTrainingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequestId.Length == 0)
        {
            request = request.Clone();
            request.RequestId = Guid.NewGuid().ToString("N");
        }

        return _calls.UnaryAsync(o => _training.StartTrainingAsync(request, o), cancellationToken);
    }

    /// <summary>
    /// The job's states as they change, starting with the latest, until a final state (succeeded, failed, cancelled,
    /// interrupted). When the connection breaks or the server restarts, the watch re-attaches and continues from the
    /// latest state; states in between may be skipped, the final one never is.
    /// </summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="cancellationToken">Stops watching (the job goes on).</param>
    public async IAsyncEnumerable<Job> WatchAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long lastRevision = -1;
        JobState lastState = JobState.Unspecified;
        int failures = 0;
        while (true)
        {
            using AsyncServerStreamingCall<JobEvent> call = _jobs.WatchJob(new WatchJobRequest { JobId = jobId }, _calls.CallOptions(null, cancellationToken));
            IAsyncEnumerator<JobEvent> events = call.ResponseStream.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await events.MoveNextAsync();
                    }
                    catch (RpcException e) when (DiscoCalls.IsTransient(e) && ++failures < _calls.Options.MaxAttempts && !cancellationToken.IsCancellationRequested)
                    {
                        await Task.Delay(_calls.Backoff(failures), cancellationToken);
                        break;
                    }
                    catch (RpcException e) when (DiscoCalls.IsCancellation(e, cancellationToken))
                    {
                        throw new OperationCanceledException("Watching was cancelled.", e, cancellationToken);
                    }
                    catch (RpcException e)
                    {
                        throw new DiscoException(e);
                    }

                    if (!more)
                    {
                        // The server ends a watch only after a final state; an earlier end means the connection or
                        // the server went away, so attach again like after an error.
                        if (++failures >= _calls.Options.MaxAttempts)
                        {
                            throw new DiscoException(new RpcException(new Status(StatusCode.Unavailable, $"The watch of job {jobId} kept ending before the job finished.")));
                        }

                        await Task.Delay(_calls.Backoff(failures), cancellationToken);
                        break;
                    }

                    failures = 0;
                    Job job = events.Current.Job;
                    // After a re-attach the server replays the latest state; skip it when already seen.
                    if (job.Revision != lastRevision || (IsFinal(job.State) && job.State != lastState))
                    {
                        lastRevision = job.Revision;
                        lastState = job.State;
                        yield return job;
                    }

                    if (IsFinal(job.State))
                    {
                        yield break;
                    }
                }
            }
            finally
            {
                await events.DisposeAsync();
            }
        }
    }

    /// <summary>Watches a job until it ends and returns its final state.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="progress">Receives each state, or null.</param>
    /// <param name="cancellationToken">Stops waiting (the job goes on).</param>
    public async Task<Job> WaitAsync(string jobId, IProgress<Job>? progress = null, CancellationToken cancellationToken = default)
    {
        Job? last = null;
        await foreach (Job job in WatchAsync(jobId, cancellationToken))
        {
            last = job;
            progress?.Report(job);
        }

        return last ?? await GetAsync(jobId, cancellationToken);
    }

    /// <summary>A job's current state.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Job> GetAsync(string jobId, CancellationToken cancellationToken = default) =>
        _calls.UnaryAsync(o => _jobs.GetJobAsync(new GetJobRequest { JobId = jobId }, o), cancellationToken);

    /// <summary>Cancels a queued or running job.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Job> CancelAsync(string jobId, CancellationToken cancellationToken = default) =>
        _calls.UnaryAsync(o => _jobs.CancelJobAsync(new CancelJobRequest { JobId = jobId }, o), cancellationToken);

    /// <summary>Queues an interrupted, failed or cancelled job again.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Job> ResumeAsync(string jobId, CancellationToken cancellationToken = default) =>
        _calls.UnaryAsync(o => _jobs.ResumeJobAsync(new ResumeJobRequest { JobId = jobId }, o), cancellationToken);

    /// <summary>Lists jobs, oldest first.</summary>
    /// <param name="kind">Only this kind, or Unspecified.</param>
    /// <param name="state">Only this state, or Unspecified.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public IAsyncEnumerable<Job> ListAsync(JobKind kind = JobKind.Unspecified, JobState state = JobState.Unspecified, CancellationToken cancellationToken = default) =>
        _calls.PagesAsync(
            (token, o) => _jobs.ListJobsAsync(new ListJobsRequest { PageToken = token, Kind = kind, State = state }, o),
            (ListJobsResponse r) => (r.Jobs, r.NextPageToken), cancellationToken);
}
