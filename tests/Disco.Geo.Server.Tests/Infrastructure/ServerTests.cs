using Disco.Geo.Client;
using Microsoft.AspNetCore.Builder;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// The set-up most server test classes share: a real server (with a fresh import root when asked for), a client, and a
/// scratch directory for the test's files outside any import root; all removed afterwards.
/// </summary>
/// <param name="name">Prefix of the temporary directories.</param>
/// <param name="importRoot">Give the server an import root (<c>_root</c>), so tests can name server-side paths.</param>
/// <param name="settings">Further server settings, e.g. "--Limits:MaxUploadBytes=20000000".</param>
public abstract class ServerTests(string name, bool importRoot = false, string[]? settings = null) : IAsyncLifetime
{
    private protected TestServer _server = null!;
    private protected DiscoClient _client = null!;
    private protected string _files = null!;
    private protected string _root = null!;

    public virtual async Task InitializeAsync()
    {
        _files = Temp.Directory(name + "-files");
        List<string> all = [.. settings ?? []];
        if (importRoot)
        {
            _root = Temp.Directory(name + "-root");
            all.Add($"--import-root={_root}");
        }

        _server = await TestServer.StartAsync(all, Configure);
        _client = _server.Client();
    }

    public virtual async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        Temp.Delete(_files);
        if (importRoot)
        {
            Temp.Delete(_root);
        }
    }

    /// <summary>Adds services (e.g. gate handlers) before the server is built.</summary>
    private protected virtual void Configure(WebApplicationBuilder builder)
    {
    }
}
