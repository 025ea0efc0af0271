using Disco.Geo.Server.Options;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Security;

/// <summary>
/// Applies the <see cref="BindingPolicy"/> to the addresses Kestrel actually bound, whatever configured them
/// (--listen, Kestrel:Endpoints in any configuration source, code): the check on Server:Listen before start-up
/// cannot see every way an endpoint gets added. Kestrel accepts connections as soon as it has started, before this
/// check can run, so <see cref="GateAsync"/> holds every request until the check has passed and drops it if it failed.
/// </summary>
internal sealed class BoundAddressGuard(IServer server, IOptions<SecurityOptions> security, ILogger<BoundAddressGuard> logger) : IHostedLifecycleService
{
    private readonly TaskCompletionSource<bool> _passed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> bound = server.Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        try
        {
            BindingPolicy.Validate([.. bound.Select(ParseBound)], security.Value);
        }
        catch (ServerConfigurationException e)
        {
            logger.LogCritical("{Message}", e.Message);
            _passed.TrySetResult(false);
            throw;
        }

        _passed.TrySetResult(true);
        return Task.CompletedTask;
    }

    /// <summary>Middleware: lets a request through only once the bound addresses are known to be allowed.</summary>
    public async Task GateAsync(HttpContext context, RequestDelegate next)
    {
        bool passed = _passed.Task.IsCompletedSuccessfully ? _passed.Task.Result : await _passed.Task.WaitAsync(context.RequestAborted);
        if (!passed)
        {
            context.Abort();
            return;
        }

        await next(context);
    }

    /// <summary>
    /// A bound address as Kestrel reports it ("http://127.0.0.1:5000", "http://[::]:5000", "http://localhost:5000",
    /// "http://unix:/run/disco.sock"). A Unix socket is reachable only through the file system, so it counts as
    /// loopback; a host that is not an IP address or localhost counts as exposed.
    /// </summary>
    internal static ListenAddress ParseBound(string address)
    {
        if (address.Contains("://unix:", StringComparison.OrdinalIgnoreCase) || address.Contains("://pipe:", StringComparison.OrdinalIgnoreCase))
        {
            return new ListenAddress(System.Net.IPAddress.Loopback, 0, address);
        }

        // Kestrel's wildcards ("http://*:80", "http://+:80") are no valid URI hosts; like anything unparsable they
        // count as every interface.
        if (!Uri.TryCreate(address, UriKind.Absolute, out Uri? uri))
        {
            return new ListenAddress(System.Net.IPAddress.Any, 0, address);
        }

        return System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out System.Net.IPAddress? ip) ? new ListenAddress(ip, uri.Port, address)
            : uri.IsLoopback ? new ListenAddress(System.Net.IPAddress.Loopback, uri.Port, address)
            : new ListenAddress(System.Net.IPAddress.Any, uri.Port, address);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        // A host stopping before the check ran (another start-up step failed) must not leave requests waiting.
        _passed.TrySetResult(false);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
