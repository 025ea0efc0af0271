using System.Security.Cryptography;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// A client stream answered before its end (a refused upload) must not break the connection it came on: the server
/// reads the client's end of stream, within bounds, before it answers (Edge/RequestStreamDrainInterceptor.cs), and a
/// client that asks for the upload's status first is refused before it streams at all. Without either, Kestrel reset
/// the stream, a late DATA frame turned that into a connection error, and the next call failed with INTERNAL
/// "Incomplete message." (or ENHANCE_YOUR_CALM after many refusals).
/// </summary>
public sealed class RefusedStreamTests : IAsyncLifetime
{
    // Lengths no other timer of the server uses, so the clock can tell the drain's timer apart.
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(97);
    private const int DrainBytes = 300_000;

    private readonly TimerClock _clock = new(DrainTimeout);
    private TestServer _server = null!;
    private DiscoClient _client = null!;
    private string _files = null!;

    public async Task InitializeAsync()
    {
        _files = Temp.Directory("refused-files");
        _server = await TestServer.StartAsync(
            ["--Limits:MaxUploadBytes=50000000", $"--Limits:RequestDrainTimeout={DrainTimeout}", $"--Limits:RequestDrainBytes={DrainBytes}"],
            builder => builder.Services.AddSingleton<TimeProvider>(_clock));
        _client = _server.Client();
        await _client.UploadFileAsync(Temp.File(_files, "taken.bin", 100_000, seed: 3), "taken");
    }

    public async Task DisposeAsync()
    {
        // A failed assertion must not leave a drain waiting on the fake clock.
        _clock.Advance(DrainTimeout);
        _client.Dispose();
        await _server.DisposeAsync();
        Temp.Delete(_files);
    }

    [Fact]
    public async Task A_refused_upload_is_answered_after_the_clients_end_of_stream_and_the_connection_stays_usable()
    {
        (byte[] content, string sha256) = OtherContent(100_000);
        using AsyncClientStreamingCall<UploadFileRequest, UploadFileResponse> call = await StartUploadAsync(_client, sha256, content.Length);
        await call.RequestStream.WriteAsync(new UploadFileRequest { Chunk = new FileChunk { Offset = 0, Data = ByteString.CopyFrom(content) } });

        // The handler refuses on the header; the answer waits for the rest of the stream (the clock never moves here).
        Assert.Same(_clock.Started, await Task.WhenAny(_clock.Started, call.ResponseAsync, Task.Delay(Eventually.Guard)));
        Assert.False(call.ResponseAsync.IsCompleted, "the server answered before the client's end of stream");

        await call.RequestStream.CompleteAsync();
        await Expect.RawStatusAsync(StatusCode.AlreadyExists, () => call.ResponseAsync);
        Assert.Equal("taken", Assert.Single(await _client.ListDatasetsAsync().ToListAsync()).Name);
    }

    [Fact]
    public async Task A_client_that_holds_a_refused_stream_open_is_answered_when_the_drain_time_is_up()
    {
        (byte[] content, string sha256) = OtherContent(100_000);
        using AsyncClientStreamingCall<UploadFileRequest, UploadFileResponse> call = await StartUploadAsync(_client, sha256, content.Length);

        Assert.Same(_clock.Started, await Task.WhenAny(_clock.Started, call.ResponseAsync, Task.Delay(Eventually.Guard)));
        Assert.False(call.ResponseAsync.IsCompleted, "the server answered before the client's end of stream or the drain's time");
        _clock.Advance(DrainTimeout);
        await Expect.RawStatusAsync(StatusCode.AlreadyExists, () => call.ResponseAsync);
    }

    [Fact]
    public async Task A_client_that_keeps_streaming_a_large_refused_upload_is_answered_after_the_drain_budget()
    {
        const int chunkBytes = 64 * 1024;
        (byte[] content, string sha256) = OtherContent(40_000_000);
        using AsyncClientStreamingCall<UploadFileRequest, UploadFileResponse> call = await StartUploadAsync(_client, sha256, content.Length);

        // Far more than the budget (and than the HTTP/2 windows), never completed and the clock never moved: only the
        // byte budget can end the drain, after which the server's answer makes the client's writes fail.
        for (int offset = 0; offset < content.Length && !call.ResponseAsync.IsCompleted; offset += chunkBytes)
        {
            var chunk = new FileChunk { Offset = offset, Data = ByteString.CopyFrom(content, offset, Math.Min(chunkBytes, content.Length - offset)) };
            try
            {
                await call.RequestStream.WriteAsync(new UploadFileRequest { Chunk = chunk });
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
            {
                break;
            }
        }

        await Expect.RawStatusAsync(StatusCode.AlreadyExists, () => call.ResponseAsync);
    }

    [Fact]
    public async Task The_client_learns_of_a_conflict_from_the_upload_status_and_never_starts_the_stream()
    {
        string other = Temp.File(_files, "other.bin", 100_000, seed: 4);
        DiscoException e = await Expect.StatusAsync(StatusCode.AlreadyExists, () => _client.UploadFileAsync(other, "taken"));
        Assert.Contains("different content", e.Message, StringComparison.Ordinal);

        string metrics = await (await _server.HttpGetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Equal(1, Metrics.Value(metrics, "disco_grpc_requests_total{method=\"/disco.geo.v1.DatasetService/GetUploadStatus\",code=\"AlreadyExists\"}"));
        Assert.True(double.IsNaN(Metrics.Value(metrics, "disco_grpc_requests_total{method=\"/disco.geo.v1.DatasetService/UploadFile\",code=\"AlreadyExists\"}")),
            "the client streamed an upload the status call could have refused");
    }

    [Fact]
    public async Task The_upload_status_refuses_a_size_over_the_limit_as_the_upload_would()
    {
        DiscoException e = await Expect.StatusAsync(StatusCode.OutOfRange, () => _client.GetUploadStatusAsyncRaw(
            new GetUploadStatusRequest { Name = "big", SizeBytes = 60_000_000, Sha256 = new string('a', 64) }));
        Assert.Contains("Limits:MaxUploadBytes", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Limits:RequestDrainTimeout=00:00:00")]
    [InlineData("--Limits:RequestDrainTimeout=-00:00:01")]
    [InlineData("--Limits:RequestDrainBytes=0")]
    public async Task A_drain_set_to_zero_or_less_is_off_and_the_refusal_still_comes_through(string setting)
    {
        var clock = new TimerClock(DrainTimeout);
        await using TestServer server = await TestServer.StartAsync(
            [$"--Limits:RequestDrainTimeout={DrainTimeout}", setting], builder => builder.Services.AddSingleton<TimeProvider>(clock));
        using DiscoClient client = server.Client();
        await client.UploadFileAsync(Temp.File(_files, "taken-too.bin", 100_000, seed: 5), "taken");
        (_, string sha256) = OtherContent(100_000);
        using AsyncClientStreamingCall<UploadFileRequest, UploadFileResponse> call = await StartUploadAsync(client, sha256, 100_000);

        // The stream stays open and the clock never moves: a drain would wait on its timer; off, the refusal comes at once.
        Assert.Same(call.ResponseAsync, await Task.WhenAny(call.ResponseAsync, clock.Started, Task.Delay(Eventually.Guard)));
        await Expect.RawStatusAsync(StatusCode.AlreadyExists, () => call.ResponseAsync);
    }

    /// <summary>Starts an upload under the taken name with other content: the handler refuses it on this header.</summary>
    private static async Task<AsyncClientStreamingCall<UploadFileRequest, UploadFileResponse>> StartUploadAsync(DiscoClient client, string sha256, long sizeBytes)
    {
        AsyncClientStreamingCall<UploadFileRequest, UploadFileResponse> call = client.Stubs.Datasets.UploadFile(client.CallOptions(DateTime.UtcNow.Add(Eventually.Guard), default));
        await call.RequestStream.WriteAsync(new UploadFileRequest { Header = new UploadHeader { Name = "taken", SizeBytes = sizeBytes, Sha256 = sha256 } });
        return call;
    }

    private static (byte[] Content, string Sha256) OtherContent(int bytes)
    {
        byte[] content = new byte[bytes];
        new Random(4).NextBytes(content);
        return (content, Convert.ToHexStringLower(SHA256.HashData(content)));
    }
}
