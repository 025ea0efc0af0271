using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Jobs;

/// <summary>
/// Fans job state out to any number of watchers. Each live job has one slot holding its latest state and a task that
/// completes on the next change; a watcher sends the latest state, then waits for the next change. Memory does not
/// grow with slow watchers: they skip intermediate states and always see the latest one, the final one included.
/// </summary>
internal sealed class JobHub
{
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    /// <summary>Publishes a new state; the slot is dropped once a final state is published (watchers holding it still see it).</summary>
    public void Publish(JobRecord job)
    {
        Slot slot = _slots.GetOrAdd(job.Id, _ => new Slot());
        slot.Set(job.Clone());
        if (IsFinal(job.State))
        {
            _slots.TryRemove(new KeyValuePair<string, Slot>(job.Id, slot));
        }
    }

    /// <summary>
    /// Drops a job's slot without a final state: the job goes on elsewhere (another replica took it over). Watchers
    /// holding the slot end after the states they saw, and continue from the store (<see cref="JobWatch"/>).
    /// </summary>
    public void Detach(string id)
    {
        if (_slots.TryRemove(id, out Slot? slot))
        {
            slot.Detach();
        }
    }

    public bool TryGetLatest(string id, out JobRecord job)
    {
        if (_slots.TryGetValue(id, out Slot? slot) && slot.Snapshot() is { Job: { } latest, Detached: false })
        {
            job = latest;
            return true;
        }

        job = null!;
        return false;
    }

    /// <summary>The latest state and every later one until a final state, or null when the job is not live here.</summary>
    public IAsyncEnumerable<JobRecord>? Watch(string id, CancellationToken cancellationToken) =>
        _slots.TryGetValue(id, out Slot? slot) ? WatchSlot(slot, cancellationToken) : null;

    /// <summary>States after which a watch ends: the job will not change again unless resumed.</summary>
    public static bool IsFinal(JobRecordState state) =>
        state is JobRecordState.Succeeded or JobRecordState.Failed or JobRecordState.Cancelled or JobRecordState.Interrupted;

    private static async IAsyncEnumerable<JobRecord> WatchSlot(Slot slot, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long lastRevision = -1;
        while (true)
        {
            (JobRecord? job, Task changed, bool detached) = slot.Snapshot();
            if (job is not null && job.Revision != lastRevision && !detached)
            {
                lastRevision = job.Revision;
                yield return job;
                if (IsFinal(job.State))
                {
                    yield break;
                }
            }

            if (detached)
            {
                yield break;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    private sealed class Slot
    {
        private readonly object _gate = new();
        private JobRecord? _job;
        private bool _detached;
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Set(JobRecord job)
        {
            TaskCompletionSource completed;
            lock (_gate)
            {
                _job = job;
                completed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            completed.TrySetResult();
        }

        public void Detach()
        {
            TaskCompletionSource completed;
            lock (_gate)
            {
                _detached = true;
                completed = _changed;
            }

            completed.TrySetResult();
        }

        public (JobRecord? Job, Task Changed, bool Detached) Snapshot()
        {
            lock (_gate)
            {
                return (_job, _changed.Task, _detached);
            }
        }
    }
}
