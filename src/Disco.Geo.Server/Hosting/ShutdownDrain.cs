using Disco.Geo.Server.Options;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Hosting;

/// <summary>
/// On shutdown, turns health to NOT_SERVING and keeps serving for <see cref="ServerOptions.ShutdownDrain"/> so load
/// balancers and clients polling health move away before connections close. Runs in the host's "stopping" phase,
/// before any service (Kestrel included) stops. The drain is measured on the injected <see cref="TimeProvider"/> (the
/// system clock in the server), so a test can hold the server in its draining state for as long as its assertions
/// take and then end the drain by advancing a fake clock, instead of racing a wall-clock window.
/// </summary>
internal sealed class ShutdownDrain(IOptions<ServerOptions> options, TimeProvider time, ILogger<ShutdownDrain> logger) : IHostedLifecycleService, IHealthCheck
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
            await Task.Delay(drain, time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
