using Disco.Geo.Server.Storage;
namespace Disco.Geo.Server.Jobs;

/// <summary>
/// Tells a watcher that jobs may have changed in the store. The watcher then reads the job again
/// (<see cref="JobWatch"/>), so a spurious wake costs one read and a missed one only delays until the next.
/// </summary>
internal interface IJobChangeFeed
{
    /// <summary>Completes when job <paramref name="jobId"/> may have changed since the call.</summary>
    Task WaitForChangeAsync(string jobId, CancellationToken cancellationToken);
}

/// <summary>Changes written by this process: the runner signals every write it makes.</summary>
internal sealed class LocalJobChanges : IJobChangeFeed
{
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Some job changed; every waiter wakes and reads its job again.</summary>
    public void Notify() =>
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public Task WaitForChangeAsync(string jobId, CancellationToken cancellationToken) => Volatile.Read(ref _changed).Task.WaitAsync(cancellationToken);
}

/// <summary>Changes written by other replicas, seen by polling: wakes every <paramref name="interval"/> of <paramref name="time"/>.</summary>
internal sealed class PollingJobChanges(TimeProvider time, TimeSpan interval) : IJobChangeFeed
{
    public Task WaitForChangeAsync(string jobId, CancellationToken cancellationToken) => Task.Delay(interval, time, cancellationToken);
}

/// <summary>Wakes on the first of several feeds (local writes, a database notification, the polling fallback).</summary>
internal sealed class AnyJobChanges(IReadOnlyList<IJobChangeFeed> feeds) : IJobChangeFeed
{
    public async Task WaitForChangeAsync(string jobId, CancellationToken cancellationToken)
    {
        using var first = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task woke = await Task.WhenAny(feeds.Select(f => f.WaitForChangeAsync(jobId, first.Token)));
        // The others stop waiting (their timers are freed); the caller's own cancellation still surfaces.
        await first.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        await woke.ContinueWith(_ => { }, TaskScheduler.Default);
    }
}

/// <summary>
/// Changes announced by the store (PostgreSQL LISTEN/NOTIFY: the id of each job whose record changed, on any
/// replica): wakes the watchers of that job, and tells <see cref="Changed"/> (the runner claims on it, so a job
/// queued on another replica starts without waiting for a poll). Runs one listener for the process.
/// </summary>
internal sealed class NotifiedJobChanges(Func<CancellationToken, IAsyncEnumerable<string>> listen, ILogger<NotifiedJobChanges> logger) : BackgroundService, IJobChangeFeed
{
    private readonly object _gate = new();
    private readonly Dictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);

    /// <summary>
    /// Raised with the id of every change that may make a job claimable (<see cref="JobChangeNotices"/>), and with an
    /// empty id after the listener (re)connected; the runner claims on it.
    /// </summary>
    public event Action<string>? Changed;

    public Task WaitForChangeAsync(string jobId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_waiters.TryGetValue(jobId, out TaskCompletionSource? waiter))
            {
                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add(jobId, waiter);
            }

            return waiter.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Wakes the watchers of the job a notification names, and raises <see cref="Changed"/> when the change may make it claimable.</summary>
    public void Announce(string payload)
    {
        (string jobId, bool claimable) = JobChangeNotices.Parse(payload);
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            _waiters.Remove(jobId, out waiter);
        }

        waiter?.TrySetResult();
        if (claimable)
        {
            Changed?.Invoke(jobId);
        }
    }

    /// <summary>
    /// Wakes every watcher and raises <see cref="Changed"/> with an empty id: the listener (re)connected, and what
    /// changed while it was away was not announced.
    /// </summary>
    public void AnnounceAll()
    {
        List<TaskCompletionSource> waiters;
        lock (_gate)
        {
            waiters = [.. _waiters.Values];
            _waiters.Clear();
        }

        foreach (TaskCompletionSource waiter in waiters)
        {
            waiter.TrySetResult();
        }

        Changed?.Invoke("");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (string payload in listen(stoppingToken).WithCancellation(stoppingToken))
            {
                Announce(payload);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Watchers and the runner still poll; they only lose promptness.
            logger.LogError(e, "Job change notifications stopped; watchers and the job runner fall back to polling");
        }
    }
}
