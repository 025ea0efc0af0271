using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Jobs;

/// <summary>What a running job sees: its spec, its last checkpoint, a working directory, and progress reporting.</summary>
internal sealed class JobContext : IProgress<JobProgressRecord>
{
    private readonly JobRunner _runner;
    private readonly JobRunner.RunningJob _running;

    internal JobContext(JobRunner runner, JobRunner.RunningJob running, JobSpecRecord spec, byte[]? checkpoint, string workingDirectory)
    {
        _runner = runner;
        _running = running;
        Spec = spec;
        Checkpoint = checkpoint;
        WorkingDirectory = workingDirectory;
    }

    public string JobId => _running.Id;

    /// <summary>The result fixed when the job was submitted (a prediction job's prediction id), or null.</summary>
    public JobResultRecord? PresetResult => _running.PresetResult;

    /// <summary>What the RPC prepared when it accepted the request (first attempt only; null after a restart or resume).</summary>
    public object? Prepared => _running.Prepared;

    /// <summary>1 for the first run; higher after resumes.</summary>
    public int Attempt => _running.Attempt;

    /// <summary>The request the job was created from, as the layer that accepted it encoded it (see <see cref="IJobSpec"/>).</summary>
    public JobSpecRecord Spec { get; }

    /// <summary>The last checkpoint saved by an earlier attempt, or null.</summary>
    public byte[]? Checkpoint { get; }

    /// <summary>Kept across restarts and resumes (data/jobs/&lt;id&gt;).</summary>
    public string WorkingDirectory { get; }

    /// <summary>Publishes progress to watchers at once; it reaches the database at most once per persist interval.</summary>
    public void Report(JobProgressRecord value) => _runner.ReportProgress(_running, value);

    /// <summary>Stores a small checkpoint durably before returning.</summary>
    /// <remarks>Fenced with the job's lease: throws <see cref="OperationCanceledException"/> when another runner took the job over.</remarks>
    public Task SaveCheckpointAsync(byte[] checkpoint, CancellationToken cancellationToken) =>
        _runner.SaveCheckpointAsync(_running, checkpoint, cancellationToken);

    /// <summary>
    /// Confirms (and renews) this run's lease right before an output is committed; throws
    /// <see cref="OperationCanceledException"/> when another runner took the job over.
    /// </summary>
    public Task EnsureLeaseAsync(CancellationToken cancellationToken) => _runner.EnsureLeaseAsync(_running, cancellationToken);
}
