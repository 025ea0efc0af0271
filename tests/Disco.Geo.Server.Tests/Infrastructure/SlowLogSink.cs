using Microsoft.Extensions.Logging;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// A log sink that takes <paramref name="delay"/> to write messages containing <paramref name="marker"/>, like a slow
/// disk or a remote collector: it widens any window in which the server announces something before it has done it.
/// </summary>
internal sealed class SlowLogSink(string marker, TimeSpan delay) : ILoggerProvider, ILogger
{
    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (formatter(state, exception).Contains(marker, StringComparison.Ordinal))
        {
            Thread.Sleep(delay);
        }
    }

    public void Dispose()
    {
    }
}
