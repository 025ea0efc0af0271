using System.Net;
using System.Net.Http.Headers;
using Disco.Geo.Server.Hosting;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Security;
using Disco.Geo.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Disco.Geo.Server.Tests;

/// <summary>The API key on the plain HTTP routes, the key's strength, and the binding policy on what was really bound.</summary>
public sealed class ApiKeyAndBindingTests
{
    private const string Key = "0123456789abcdef-test-key";

    [Theory]
    [InlineData("application/grpc")]
    [InlineData("application/grpc-web")]
    [InlineData("application/grpc+proto")]
    public async Task Metrics_and_tiles_need_the_key_whatever_content_type_the_request_claims_over_http1_and_h2c(string contentType)
    {
        await using TestServer server = await TestServer.StartAsync(["--api-key", Key]);
        using var http = new HttpClient();
        // The HTTP port speaks HTTP/1.1, the gRPC port cleartext HTTP/2 (h2c, prior knowledge); both route /metrics and /tiles.
        (string Address, Version Version)[] ports = [(server.HttpAddress, HttpVersion.Version11), (server.GrpcAddress, HttpVersion.Version20)];
        foreach ((string address, Version version) in ports)
        {
            foreach (string path in new[] { "/metrics", "/tiles/prd_missing/WebMercatorQuad/0/0/0.png" })
            {
                using HttpResponseMessage anonymous = await SendAsync(http, address + path, version, contentType, apiKey: null);
                Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"{path} over HTTP/{version} with {contentType}: {anonymous.StatusCode}");
                Assert.Equal(version, anonymous.Version);
            }

            using HttpResponseMessage withKey = await SendAsync(http, address + "/metrics", version, contentType, Key);
            Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
            Assert.Contains("disco_", await withKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using HttpResponseMessage health = await SendAsync(http, address + "/healthz", version, contentType, apiKey: null);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        // gRPC method calls are still checked by the interceptor, not turned away by the HTTP middleware.
        using Client.DiscoClient right = server.Client(Key, maxAttempts: 1);
        await Expect.StatusAsync(Grpc.Core.StatusCode.NotFound, () => right.GetDatasetAsync("x"));
        using Client.DiscoClient anonymousClient = server.Client(maxAttempts: 1);
        await Expect.StatusAsync(Grpc.Core.StatusCode.Unauthenticated, () => anonymousClient.GetDatasetAsync("x"));
    }

    [Theory]
    [InlineData("                ")]
    [InlineData("   short-key      ")]
    [InlineData("\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t")]
    public async Task A_key_blank_or_shorter_than_16_characters_after_trimming_is_refused(string key)
    {
        Assert.True(key.Length >= 16);
        var e = await Assert.ThrowsAsync<ServerConfigurationException>(() => TestServer.StartAsync(["--api-key", key]));
        Assert.Contains("at least 16", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kestrel_endpoints_on_every_interface_without_a_key_are_refused_from_the_command_line_and_the_environment()
    {
        string data = Temp.Directory("kestrel-endpoints");
        try
        {
            string[] common = ["--listen", "127.0.0.1:0", "--http-listen", "off", "--data-dir", data];
            (int? code, string output) = await ServerRun.UntilExitOrListeningAsync(null, [.. common, "--Kestrel:Endpoints:x:Url=http://0.0.0.0:0"]);
            Assert.True(code is not null and not 0, "the server served with a non-loopback Kestrel endpoint and no key:\n" + output);
            Assert.Contains("Refusing to listen on http://0.0.0.0:0", output, StringComparison.Ordinal);

            (code, output) = await ServerRun.UntilExitOrListeningAsync(new Dictionary<string, string> { ["Kestrel__Endpoints__x__Url"] = "http://0.0.0.0:0" }, common);
            Assert.True(code is not null and not 0, "the server served with Kestrel__Endpoints__x__Url on 0.0.0.0 and no key:\n" + output);
            Assert.Contains("Refusing to listen on http://0.0.0.0:0", output, StringComparison.Ordinal);

            // With a key the same endpoint is allowed.
            (code, output) = await ServerRun.UntilExitOrListeningAsync(null, [.. common, "--api-key", Key, "--Kestrel:Endpoints:x:Url=http://0.0.0.0:0"]);
            Assert.True(code is null, "with a key the server should start:\n" + output);
        }
        finally
        {
            Temp.Delete(data);
        }
    }

    [Fact]
    public async Task An_address_bound_by_any_other_means_is_checked_after_start_and_no_request_is_served_on_it()
    {
        string data = Temp.Directory("bound-guard");
        // An endpoint added in code, which no configuration check before start-up can see.
        WebApplication app = DiscoServer.Build(["--listen", "127.0.0.1:0", "--http-listen", "off", "--data-dir", data], builder =>
        {
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenAnyIP(0));
        });
        try
        {
            await DiscoServer.InitializeAsync(app, CancellationToken.None);
            var e = await Assert.ThrowsAsync<ServerConfigurationException>(() => app.StartAsync());
            Assert.Contains("Refusing to listen on http://", e.Message, StringComparison.Ordinal);

            // Kestrel is still accepting until the host stops; every request is dropped, none answered.
            string exposed = DiscoServer.BoundAddresses(app).Single(a => !a.Contains("127.0.0.1", StringComparison.Ordinal));
            int port = new Uri(exposed.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port;
            using var http = new HttpClient();
            await Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(http, $"http://127.0.0.1:{port}/healthz", HttpVersion.Version11, null, null));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Temp.Delete(data);
        }
    }

    [Fact]
    public void Bound_addresses_are_classified_by_what_they_reach()
    {
        Assert.True(BoundAddressGuard.ParseBound("http://127.0.0.1:5000").IsLoopback);
        Assert.True(BoundAddressGuard.ParseBound("http://[::1]:5000").IsLoopback);
        Assert.True(BoundAddressGuard.ParseBound("http://localhost:5000").IsLoopback);
        Assert.True(BoundAddressGuard.ParseBound("http://unix:/run/disco.sock").IsLoopback);
        Assert.False(BoundAddressGuard.ParseBound("http://0.0.0.0:5000").IsLoopback);
        Assert.False(BoundAddressGuard.ParseBound("http://[::]:5000").IsLoopback);
        Assert.False(BoundAddressGuard.ParseBound("http://*:5000").IsLoopback);
        Assert.False(BoundAddressGuard.ParseBound("http://+:5000").IsLoopback);
        Assert.False(BoundAddressGuard.ParseBound("http://example.org:5000").IsLoopback);
        Assert.False(BoundAddressGuard.ParseBound("https://192.168.1.5:5000").IsLoopback);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string url, Version version, string? contentType, string? apiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (contentType is not null)
        {
            request.Content = new ByteArrayContent([]);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (apiKey is not null)
        {
            request.Headers.Add("x-api-key", apiKey);
        }

        return await http.SendAsync(request);
    }
}
