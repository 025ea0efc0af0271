using System.Net.Http;
using Disco.Geo.Client;
using Disco.Geo.Server.Hosting;
using Disco.Geo.Server.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// A real server in this process: Kestrel on 127.0.0.1 with port 0, a fresh temporary data directory with a real
/// SQLite file, and the same Build/Initialize/Start/WaitForShutdown path as disco-server's Main, so the server stops
/// the way a signal stops the real one: through <see cref="IHostApplicationLifetime.StopApplication"/>.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly bool _ownsDirectory;
    private readonly Task _shutdown;
    private readonly IHostApplicationLifetime _lifetime;

    // One client for the HTTP endpoints, so its connection is opened once and reused (a cold connection costs a
    // handshake at a moment a test does not choose).
    private readonly HttpClient _http = new();

    private TestServer(WebApplication app, string dataDirectory, bool ownsDirectory)
    {
        App = app;
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
        _lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        _shutdown = app.WaitForShutdownAsync();
        IReadOnlyList<string> addresses = DiscoServer.BoundAddresses(app);
        GrpcAddress = addresses[0];
        HttpAddress = addresses.Count > 1 ? addresses[1] : addresses[0];
    }

    public WebApplication App { get; }

    public string DataDirectory { get; }

    public string GrpcAddress { get; }

    public string HttpAddress { get; }

    public IServiceProvider Services => App.Services;

    public static async Task<TestServer> StartAsync(
        IEnumerable<string>? settings = null, Action<WebApplicationBuilder>? configure = null, string? dataDirectory = null, string listen = "127.0.0.1:0",
        Action<IServiceCollection>? replaceServices = null)
    {
        bool owns = dataDirectory is null;
        dataDirectory ??= Temp.Directory("server");
        string[] args =
        [
            "--listen", listen, "--http-listen", listen, "--data-dir", dataDirectory,
            "--Server:ShutdownDrain=00:00:00", .. settings ?? [],
        ];
        WebApplication app = DiscoServer.Build(args, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddFilter(_ => false);
            configure?.Invoke(builder);
        }, replaceServices);
        await DiscoServer.InitializeAsync(app, CancellationToken.None);
        await app.StartAsync();
        return new TestServer(app, dataDirectory, owns);
    }

    public T Get<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    public DiscoClient Client(string? apiKey = null, int maxAttempts = 3) => DiscoClient.Connect(new DiscoClientOptions
    {
        Address = GrpcAddress,
        ApiKey = apiKey,
        MaxAttempts = maxAttempts,
        InitialBackoff = TimeSpan.FromMilliseconds(50),
        CallTimeout = TimeSpan.FromSeconds(20),
    });

    public async Task<HttpResponseMessage> HttpGetAsync(string path, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, HttpAddress + path);
        if (apiKey is not null)
        {
            request.Headers.Add("x-api-key", apiKey);
        }

        return await _http.SendAsync(request);
    }

    /// <summary>
    /// Asks the server to stop, as SIGTERM or Ctrl+C would, and returns the task that ends when it has stopped (its
    /// shutdown drain and every hosted service included).
    /// </summary>
    public Task StopAsync()
    {
        _lifetime.StopApplication();
        return _shutdown;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await App.DisposeAsync();
        _http.Dispose();
        if (_ownsDirectory)
        {
            Temp.Delete(DataDirectory);
        }
    }
}

internal static class Temp
{
    public static string Directory(string prefix)
    {
        string path = Path.Combine(Path.GetTempPath(), "disco-tests", prefix + "-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    public static string File(string directory, string name, int bytes, int seed)
    {
        var random = new Random(seed);
        byte[] data = new byte[bytes];
        random.NextBytes(data);
        string path = Path.Combine(directory, name);
        System.IO.File.WriteAllBytes(path, data);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            System.IO.Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
