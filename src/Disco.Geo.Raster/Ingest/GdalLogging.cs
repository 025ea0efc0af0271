using Disco.Geo.Gdal;
using Microsoft.Extensions.Logging;

namespace Disco.Geo.Raster.Ingest;

/// <summary>Forwards GDAL's messages (warnings, failures, and debug output when CPL_DEBUG is on) to an <see cref="ILogger"/>.</summary>
public static class GdalLogging
{
    /// <summary>
    /// Starts forwarding; dispose the result to stop. GDAL emits from any thread, so the logger must be thread-safe
    /// (all standard providers are).
    /// </summary>
    public static IDisposable Forward(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        void Handler(GdalMessage message)
        {
            LogLevel level = message.Severity switch
            {
                GdalMessageSeverity.Debug => LogLevel.Debug,
                GdalMessageSeverity.Warning => LogLevel.Warning,
                _ => LogLevel.Error,
            };
            logger.Log(level, "GDAL {ErrorNumber}: {Text}", message.ErrorNumber, message.Text);
        }

        GdalRuntime.Diagnostics += Handler;
        return new Subscription(() => GdalRuntime.Diagnostics -= Handler);
    }

    private sealed class Subscription(Action unsubscribe) : IDisposable
    {
        private Action? _unsubscribe = unsubscribe;

        public void Dispose() => Interlocked.Exchange(ref _unsubscribe, null)?.Invoke();
    }
}
