using Disco.Geo.Client;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// The set-up shared by the test classes that have the server read files: a real server whose import root is a fresh
/// directory, a client, and a directory outside the root, all removed afterwards.
/// </summary>
/// <param name="name">Prefix of the temporary directories.</param>
public abstract class ImportRootServerTests(string name) : IAsyncLifetime
{
    private protected TestServer _server = null!;
    private protected DiscoClient _client = null!;
    private protected string _root = null!;
    private protected string _outside = null!;

    public virtual async Task InitializeAsync()
    {
        _root = Temp.Directory(name + "-root");
        _outside = Temp.Directory(name + "-outside");
        _server = await TestServer.StartAsync([$"--import-root={_root}"]);
        _client = _server.Client();
    }

    public virtual async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        Temp.Delete(_root);
        Temp.Delete(_outside);
    }
}
