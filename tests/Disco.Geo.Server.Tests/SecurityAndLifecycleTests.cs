using System.Net;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Hosting;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Disco.Geo.Server.Tests;

[Collection(Lifecycle.Collection)]
public sealed class SecurityAndLifecycleTests
{
    private const string Key = "0123456789abcdef-test-key";

    [Fact]
    public async Task Binding_a_non_loopback_address_without_authentication_is_refused_with_a_clear_message()
    {
        var e = await Assert.ThrowsAsync<ServerConfigurationException>(() => TestServer.StartAsync(listen: "0.0.0.0:0"));
        Assert.Contains("Refusing to listen on 0.0.0.0:0", e.Message, StringComparison.Ordinal);
        Assert.Contains("--api-key", e.Message, StringComparison.Ordinal);
        var shortKey = await Assert.ThrowsAsync<ServerConfigurationException>(() => TestServer.StartAsync(["--api-key", "short"], listen: "0.0.0.0:0"));
        Assert.Contains("at least 16", shortKey.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ServerConfigurationException>(() => TestServer.StartAsync(["--Security:ClientCaPath=/tmp/ca.pem"], listen: "0.0.0.0:0"));
    }

    [Fact]
    public async Task On_a_non_loopback_bind_every_call_but_health_needs_the_api_key()
    {
        await using TestServer server = await TestServer.StartAsync(["--api-key", Key], listen: "0.0.0.0:0");
        // 0.0.0.0 also listens on loopback; the test only ever talks to 127.0.0.1.
        string port = new Uri(server.GrpcAddress.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string grpc = "http://127.0.0.1:" + port;
        using DiscoClient anonymous = DiscoClient.Connect(new DiscoClientOptions { Address = grpc, MaxAttempts = 1 });
        using DiscoClient wrong = DiscoClient.Connect(new DiscoClientOptions { Address = grpc, ApiKey = Key + "x", MaxAttempts = 1 });
        using DiscoClient right = DiscoClient.Connect(new DiscoClientOptions { Address = grpc, ApiKey = Key, MaxAttempts = 1 });

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await anonymous.CheckHealthAsync());
        DiscoException missing = await Expect.StatusAsync(StatusCode.Unauthenticated, () => anonymous.GetDatasetAsync("x"));
        Assert.Contains("x-api-key", missing.Message, StringComparison.Ordinal);
        await Expect.StatusAsync(StatusCode.Unauthenticated, () => wrong.ListModelsAsync().GetAsyncEnumerator().MoveNextAsync().AsTask());
        await Expect.StatusAsync(StatusCode.NotFound, () => right.GetDatasetAsync("x"));

        string http = "http://127.0.0.1:" + new Uri(server.HttpAddress.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port;
        using var httpClient = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await httpClient.GetAsync(http + "/metrics")).StatusCode);
        using var withKey = new HttpRequestMessage(HttpMethod.Get, http + "/metrics");
        withKey.Headers.Add("x-api-key", Key);
        Assert.Equal(HttpStatusCode.OK, (await httpClient.SendAsync(withKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await httpClient.GetAsync(http + "/healthz")).StatusCode);
    }

    [Fact]
    public async Task Health_turns_not_serving_while_the_server_shuts_down()
    {
        // The drain runs on a fake clock, so it lasts exactly as long as this test takes to look at it; the host's
        // shutdown timeout (a real-clock limit on the whole stop) is lifted for the same reason.
        TimeSpan drain = TimeSpan.FromSeconds(5);
        var clock = new TimerClock(drain);
        TestServer server = await TestServer.StartAsync([$"--Server:ShutdownDrain={drain}"], builder =>
        {
            builder.Services.AddSingleton<TimeProvider>(clock);
            builder.Services.PostConfigure<HostOptions>(options => options.ShutdownTimeout = Timeout.InfiniteTimeSpan);
        });
        try
        {
            // Both clients are connected before the stop, as a load balancer's health probes would be.
            using DiscoClient client = server.Client(maxAttempts: 1);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await client.CheckHealthAsync());
            Assert.Equal(HttpStatusCode.OK, (await server.HttpGetAsync("/healthz")).StatusCode);

            Task stopped = server.StopAsync();
            Task drainStarted = clock.Started;
            Assert.True(await Task.WhenAny(drainStarted, stopped, Task.Delay(Eventually.Guard)) == drainStarted, "the drain did not wait on the server's TimeProvider");
            await drainStarted;
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await client.CheckHealthAsync());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await server.HttpGetAsync("/healthz")).StatusCode);
            // Still serving the rest while it drains: the stop waits for the clock, not for the test to be quick.
            Assert.False(stopped.IsCompleted, "the server stopped before its drain was over");
            Assert.Equal(HttpStatusCode.OK, (await server.HttpGetAsync("/metrics")).StatusCode);

            clock.Advance(drain);
            await stopped.WaitAsync(Eventually.Guard);
            await Expect.StatusAsync(StatusCode.Unavailable, () => client.CheckHealthAsync());
        }
        finally
        {
            // A failed assertion above must not leave the stop waiting for a drain nobody ends on the fake clock.
            clock.Advance(drain);
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Verify_finds_a_blob_corrupted_on_disk_and_reports_data_loss()
    {
        await using TestServer server = await TestServer.StartAsync();
        using DiscoClient client = server.Client();
        string files = Temp.Directory("verify");
        Dataset dataset = (await client.UploadFileAsync(Temp.File(files, "v.bin", 300_000, seed: 9))).Dataset;
        Assert.Equal(JobState.Succeeded, (await client.WaitForJobAsync((await client.VerifyDatasetAsync(dataset.Name)).Id)).State);

        string blob = server.Get<IBlobStore>().PathOf(dataset.Blob.Sha256);
        byte[] bytes = File.ReadAllBytes(blob);
        bytes[1000] ^= 0xFF;
        File.WriteAllBytes(blob, bytes);
        Job failed = await client.WaitForJobAsync((await client.VerifyDatasetAsync(dataset.Id)).Id);
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal((int)StatusCode.DataLoss, failed.Error.Code);
        Assert.Contains(dataset.Blob.Sha256, failed.Error.Message, StringComparison.Ordinal);
        Temp.Delete(files);
    }

    [Fact]
    public async Task At_start_unreferenced_blobs_and_temporary_files_are_swept_and_referenced_ones_kept()
    {
        string data = Temp.Directory("sweep");
        string files = Temp.Directory("sweep-files");
        Dataset kept;
        await using (TestServer first = await TestServer.StartAsync(dataDirectory: data))
        {
            using DiscoClient client = first.Client();
            kept = (await client.UploadFileAsync(Temp.File(files, "kept.bin", 100_000, seed: 1))).Dataset;
        }

        // What a crash between writing a blob and committing its record leaves behind, and a half-written temp file.
        string orphan = Path.Combine(data, "blobs", "sha256", "ab", "ab" + new string('0', 62));
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        await File.WriteAllTextAsync(orphan, "orphan");
        await File.WriteAllTextAsync(Path.Combine(data, "tmp", "half-written.tmp"), "partial");
        await File.WriteAllTextAsync(Path.Combine(data, "uploads", "upl_unknown.part"), "no row");

        await using (TestServer second = await TestServer.StartAsync(dataDirectory: data))
        {
            using DiscoClient client = second.Client();
            Assert.False(File.Exists(orphan));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(data, "tmp")));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(data, "uploads")));
            using var copy = new MemoryStream();
            await client.DownloadDatasetAsync(kept.Id, copy);
            Assert.Equal(100_000, copy.Length);
        }

        Temp.Delete(data);
        Temp.Delete(files);
    }
}
