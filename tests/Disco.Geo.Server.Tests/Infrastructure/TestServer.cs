using System.Net.Http;
using Disco.Geo.Client;
using Disco.Geo.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// A real server in this process: Kestrel on 127.0.0.1 with port 0, a fresh temporary data directory with a real
/// SQLite file, and the same Build/Initialize/Start path as disco-server's Main.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly bool _ownsDirectory;

    private TestServer(WebApplication app, string dataDirectory, bool ownsDirectory)
    {
        App = app;
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
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
        IEnumerable<string>? settings = null, Action<WebApplicationBuilder>? configure = null, string? dataDirectory = null, string listen = "127.0.0.1:0")
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
        });
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
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, HttpAddress + path);
        if (apiKey is not null)
        {
            request.Headers.Add("x-api-key", apiKey);
        }

        return await http.SendAsync(request);
    }

    public async Task StopAsync()
    {
        await App.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.StopAsync();
        }
        catch (ObjectDisposedException)
        {
        }

        await App.DisposeAsync();
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
