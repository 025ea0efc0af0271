using Microsoft.Extensions.Logging;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// A log sink that holds the thread writing a message containing <paramref name="marker"/> until the test lets it go,
/// like a log collector that stalls: it keeps open, for exactly as long as the test needs, any window in which the
/// server announces something before it has done it. <see cref="Open"/> lets every held and future write through.
/// </summary>
internal sealed class GatedLogSink(string marker, bool armed = true) : ILoggerProvider, ILogger
{
    private readonly SemaphoreSlim _pass = new(0);
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _open = !armed;

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!_open && formatter(state, exception).Contains(marker, StringComparison.Ordinal))
        {
            _held.TrySetResult();
            _pass.Wait();
        }
    }

    /// <summary>Starts holding marked writes (a sink created unarmed lets everything through until then).</summary>
    public void Arm() => _open = false;

    /// <summary>Completes once a marked write is being held.</summary>
    public Task WaitHeldAsync() => _held.Task.WaitAsync(Eventually.Guard);

    /// <summary>Lets one held (or the next) marked write through.</summary>
    public void PassOne() => _pass.Release();

    /// <summary>Lets every write through from now on, so a failed test does not leave the server's threads held.</summary>
    public void Open()
    {
        _open = true;
        _pass.Release(1000);
    }

    public void Dispose() => Open();
}
