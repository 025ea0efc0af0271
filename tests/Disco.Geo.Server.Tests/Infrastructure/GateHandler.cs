using System.Collections.Concurrent;
using System.Text;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// A job handler whose jobs run until the test releases them: it reports progress on demand, saves a checkpoint,
/// and records what it saw, so the runner's scheduling, cancellation, fan-out and persistence are tested with real
/// SQLite and real gRPC watchers.
/// </summary>
internal sealed class GateHandler(JobKind kind, bool exclusive) : IJobHandler
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _release = new();
    private readonly ConcurrentDictionary<(string JobId, int Attempt), TaskCompletionSource<JobContext>> _started = new();
    private int _running;

    public JobRecordKind Kind => kind.ToRecord();

    public bool Exclusive => exclusive;

    public ConcurrentQueue<string> StartOrder { get; } = new();

    public ConcurrentDictionary<string, string?> CheckpointSeen { get; } = new();

    /// <summary>A handler none of whose jobs may run while one of this handler's starts (an exclusive one), or null.</summary>
    public GateHandler? MustNotOverlap { get; init; }

    /// <summary>
    /// Jobs that started while a job of <see cref="MustNotOverlap"/> was inside its handler. Recorded at the start
    /// itself, so an overlap is caught whenever it happens, not only within some waiting time.
    /// </summary>
    public ConcurrentQueue<string> Overlaps { get; } = new();

    public async Task<JobResultRecord> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _running);
        try
        {
            return await GateAsync(context, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private async Task<JobResultRecord> GateAsync(JobContext context, CancellationToken cancellationToken)
    {
        if (MustNotOverlap is { } other && Volatile.Read(ref other._running) > 0)
        {
            Overlaps.Enqueue(context.JobId);
        }

        StartOrder.Enqueue(context.JobId);
        CheckpointSeen[context.JobId] = context.Checkpoint is null ? null : Encoding.UTF8.GetString(context.Checkpoint);
        await context.SaveCheckpointAsync(Encoding.UTF8.GetBytes("attempt " + context.Attempt), cancellationToken);
        Started(context.JobId, context.Attempt).TrySetResult(context);
        await Release(context.JobId).Task.WaitAsync(cancellationToken);
        return new JobResultRecord { DatasetId = "done-" + context.JobId };
    }

    // Keyed by attempt: a resumed job's second start must not be mistaken for its first, which completed long ago.
    public Task<JobContext> WaitStartedAsync(string jobId, int attempt = 1) => Started(jobId, attempt).Task.WaitAsync(Eventually.Guard);

    public bool HasStarted(string jobId, int attempt = 1) => Started(jobId, attempt).Task.IsCompleted;

    public void Finish(string jobId) => Release(jobId).TrySetResult();

    private TaskCompletionSource Release(string jobId) => _release.GetOrAdd(jobId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    private TaskCompletionSource<JobContext> Started(string jobId, int attempt) =>
        _started.GetOrAdd((jobId, attempt), _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
}
