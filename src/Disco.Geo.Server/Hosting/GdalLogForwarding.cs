using Disco.Geo.Raster.Ingest;

namespace Disco.Geo.Server.Hosting;

/// <summary>
/// Forwards GDAL's warnings and errors into the server's structured log (category "GDAL") while the server runs, so
/// that the reason behind a failed ingest or export is in the log next to the job that hit it.
/// </summary>
internal sealed class GdalLogForwarding(ILoggerFactory loggers) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = GdalLogging.Forward(loggers.CreateLogger("GDAL"));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _subscription, null)?.Dispose();
        return Task.CompletedTask;
    }
}
