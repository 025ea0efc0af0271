using Microsoft.Extensions.Time.Testing;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// A fake clock that reports when a timer of one given length is set on it: the moment a server starts waiting for
/// that length (a drain, a bound), which a test can then look at before it advances the clock. Other timers on the
/// same clock (the job runner's polls and heartbeats) have other lengths, so "the first timer" would not do.
/// </summary>
internal sealed class TimerClock(TimeSpan length) : FakeTimeProvider
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once a timer of the watched length has been set.</summary>
    public Task Started => _started.Task;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime == length)
        {
            _started.TrySetResult();
        }

        return timer;
    }
}
