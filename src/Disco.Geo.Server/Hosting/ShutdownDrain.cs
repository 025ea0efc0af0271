using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Hosting;

/// <summary>
/// On shutdown, turns health to NOT_SERVING and keeps serving for <see cref="ServerOptions.ShutdownDrain"/> so load
/// balancers and clients polling health move away before connections close. Runs in the host's "stopping" phase,
/// before any service (Kestrel included) stops.
/// </summary>
internal sealed class ShutdownDrain(IOptions<ServerOptions> options, ILogger<ShutdownDrain> logger) : IHostedLifecycleService, IHealthCheck
{
    private volatile bool _draining;

    public bool IsDraining => _draining;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_draining ? HealthCheckResult.Unhealthy("The server is shutting down.") : HealthCheckResult.Healthy());

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        TimeSpan drain = options.Value.ShutdownDrain;
        logger.LogInformation("Shutting down: health is NOT_SERVING; draining for {Seconds:F1} s", drain.TotalSeconds);
        if (drain > TimeSpan.Zero)
        {
            await Task.Delay(drain, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
