using System.Runtime.CompilerServices;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Jobs;

/// <summary>
/// A job's states for a watcher, wherever the job runs: live from the <see cref="JobHub"/> while it runs in this
/// process, else from the store (the latest state on attach, then each change the <see cref="IJobChangeFeed"/> hints
/// at), until a final state. A job that moves to another replica mid-watch continues from the store.
/// </summary>
internal sealed class JobWatch(JobHub hub, IJobStore store, IJobChangeFeed changes)
{
    /// <summary>The states of job <paramref name="id"/>, or null when it does not exist.</summary>
    public async Task<IAsyncEnumerable<JobRecord>?> WatchAsync(string id, CancellationToken cancellationToken)
    {
        if (hub.Watch(id, cancellationToken) is { } live)
        {
            return Follow(id, live, cancellationToken);
        }

        return await store.GetAsync(id, cancellationToken) is null ? null : Follow(id, null, cancellationToken);
    }

    private async IAsyncEnumerable<JobRecord> Follow(string id, IAsyncEnumerable<JobRecord>? live, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long lastRevision = -1;
        if (live is not null)
        {
            await foreach (JobRecord job in live.WithCancellation(cancellationToken))
            {
                lastRevision = job.Revision;
                yield return job;
                if (JobHub.IsFinal(job.State))
                {
                    yield break;
                }
            }
        }

        while (true)
        {
            // Listen before reading, so a change between the read and the wait is not missed.
            Task changed = changes.WaitForChangeAsync(id, cancellationToken);
            JobRecord? stored = hub.TryGetLatest(id, out JobRecord latest) ? latest : await store.GetAsync(id, cancellationToken);
            if (stored is null)
            {
                yield break;
            }

            if (stored.Revision != lastRevision)
            {
                lastRevision = stored.Revision;
                yield return stored;
                if (JobHub.IsFinal(stored.State))
                {
                    yield break;
                }
            }

            await changed;
        }
    }
}
