using Disco.Geo.Client.Tests.Infrastructure;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Client.Tests;

/// <summary>
/// The one send path (uploads, model imports) and the one receive path (downloads, dataset, prediction and model
/// exports), over the wire against a scripted server that checks every offset it gets and breaks streams on request.
/// </summary>
public sealed class ChunkTransferTests : IAsyncLifetime
{
    private const int Chunk = DiscoClientOptions.MinTransferChunkBytes;

    private ScriptedServer _server = null!;
    private readonly TestFiles _files = new();
    private DiscoClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await ScriptedServer.StartAsync();
        _client = _server.Client(Chunk);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public void The_transfer_chunk_size_is_one_named_mebibyte_and_bounds_the_option()
    {
        Assert.Equal(1 << 20, DiscoClientOptions.TransferChunkBytes);
        Assert.Equal(DiscoClientOptions.TransferChunkBytes, new DiscoClientOptions().ChunkBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => DiscoClient.Connect(new DiscoClientOptions { ChunkBytes = DiscoClientOptions.TransferChunkBytes + 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => DiscoClient.Connect(new DiscoClientOptions { ChunkBytes = DiscoClientOptions.MinTransferChunkBytes - 1 }));
    }

    [Fact]
    public async Task An_upload_sends_contiguous_chunks_of_the_configured_size()
    {
        string path = _files.Write("chunks.bin", (3 * Chunk) + 100, seed: 1);
        var progress = new Recorder();

        UploadFileResponse response = await _client.Datasets.UploadFileAsync(path, "chunks", progress);

        Assert.Equal(File.ReadAllBytes(path), _server.RawFiles["chunks"]);
        Assert.Equal([(0L, Chunk), (Chunk, Chunk), (2L * Chunk, Chunk), (3L * Chunk, 100)], Chunks("chunks"));
        Assert.Equal(response.Dataset.Blob.SizeBytes, progress.Reports[^1].Bytes);
        Assert.Equal(TransferPhase.Complete, progress.Reports[^1].Phase);
    }

    [Fact]
    public async Task A_broken_upload_resumes_from_the_committed_offset_without_sending_a_byte_twice()
    {
        string path = _files.Write("resumed.bin", (4 * Chunk) + 5, seed: 2);
        _server.BreakAfterChunks = 2;
        var progress = new Recorder();

        await _client.Datasets.UploadFileAsync(path, "resumed", progress);

        Assert.Equal(File.ReadAllBytes(path), _server.RawFiles["resumed"]);
        Assert.Equal([0L, Chunk, 2L * Chunk, 3L * Chunk, 4L * Chunk], Chunks("resumed").Select(c => c.Offset));
        Assert.Contains(progress.Reports, r => r.Phase == TransferPhase.Retrying && r.Bytes == 2L * Chunk);
        Assert.Equal(2, _server.TakeCalls().Count(c => c.StartsWith("UploadFile ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_model_import_goes_through_the_same_chunked_send()
    {
        string path = _files.Write("model.pt", (2 * Chunk) + 1, seed: 4);

        Model model = await _client.Models.ImportAsync(path, "imported");

        Assert.Equal("imported", model.Name);
        Assert.Equal(File.ReadAllBytes(path), _server.Packages["imported"]);
        Assert.Equal([(0L, Chunk), (Chunk, Chunk), (2L * Chunk, 1)], Chunks("import:imported"));
    }

    [Fact]
    public async Task A_broken_download_resumes_from_the_bytes_already_written()
    {
        byte[] content = Bytes(7 * ScriptedServer.ServerChunkBytes + 33, seed: 5);
        _server.RawFiles["raw"] = content;
        _server.BreakAfterChunks = 3;
        using var destination = new MemoryStream();

        Dataset dataset = await _client.Datasets.DownloadAsync("raw", destination);

        Assert.Equal("raw", dataset.Name);
        Assert.Equal(content, destination.ToArray());
        Assert.Equal(["0", "3000"], _server.TakeCalls().Select(c => OffsetOf(c)));
    }

    [Fact]
    public async Task A_download_of_a_gridded_dataset_is_refused_before_any_byte()
    {
        using var destination = new MemoryStream();

        DiscoException e = await Assert.ThrowsAsync<DiscoException>(() => _client.Datasets.DownloadAsync("grid", destination));

        Assert.Equal(Grpc.Core.StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Equal(0, destination.Length);
    }

    [Fact]
    public async Task A_broken_model_export_resumes_and_is_checked_against_the_announced_hash()
    {
        byte[] content = Bytes(5 * ScriptedServer.ServerChunkBytes, seed: 6);
        _server.Packages["m"] = content;
        _server.BreakAfterChunks = 2;
        string destination = _files.PathOf("exported.pt");

        FileMetadata metadata = await _client.Models.ExportAsync("m", destination);

        Assert.Equal(content, File.ReadAllBytes(destination));
        Assert.Equal(ScriptedServer.Sha256(content), metadata.Sha256);
        Assert.Equal(["0", "2000"], _server.TakeCalls().Select(c => OffsetOf(c)));
        Assert.False(File.Exists(destination + ".part"));
    }

    [Fact]
    public async Task A_model_export_whose_bytes_do_not_match_the_announced_hash_leaves_nothing()
    {
        _server.Packages["bad"] = Bytes(2500, seed: 7);
        _server.AnnouncedModelSha256 = new string('0', 64);
        string destination = _files.PathOf("bad.pt");

        await Assert.ThrowsAsync<InvalidDataException>(() => _client.Models.ExportAsync("bad", destination));

        Assert.False(File.Exists(destination));
        Assert.False(File.Exists(destination + ".part"));
    }

    [Fact]
    public async Task Dataset_and_prediction_exports_write_the_sidecar_and_drop_a_stale_one()
    {
        byte[] tiff = Bytes(2 * ScriptedServer.ServerChunkBytes + 9, seed: 8);
        _server.Exports["ds_1"] = (tiff, "<PAMDataset/>");
        _server.Exports["prd_1"] = (tiff, "");
        string dataset = _files.PathOf("dataset.tif");
        string prediction = _files.PathOf("prediction.tif");
        File.WriteAllText(prediction + ".aux.xml", "<stale/>");

        await _client.Datasets.ExportAsync("ds_1", dataset, ExportFormat.Geotiff);
        await _client.Predictions.ExportAsync("prd_1", ExportFormat.Geotiff, prediction);

        Assert.Equal(tiff, File.ReadAllBytes(dataset));
        Assert.Equal("<PAMDataset/>", File.ReadAllText(dataset + ".aux.xml"));
        Assert.Equal(tiff, File.ReadAllBytes(prediction));
        Assert.False(File.Exists(prediction + ".aux.xml"));
    }

    [Fact]
    public async Task A_chunk_at_an_unexpected_offset_is_refused_and_nothing_is_written()
    {
        _server.Exports["prd_skew"] = (Bytes(3000, seed: 9), "");
        _server.OffsetSkew = 1;
        string destination = _files.PathOf("skew.tif");

        await Assert.ThrowsAsync<InvalidDataException>(() => _client.ExportPredictionAsync("prd_skew", ExportFormat.Geotiff, destination));

        Assert.False(File.Exists(destination));
        Assert.False(File.Exists(destination + ".part"));
    }

    [Fact]
    public async Task Cancelling_a_transfer_surfaces_as_cancellation_and_leaves_nothing()
    {
        _server.RawFiles["slow"] = Bytes(5000, seed: 10);
        _server.StallDownloads = true;
        string destination = _files.PathOf("slow.bin");
        using var cancel = new CancellationTokenSource();
        // Cancel once the first chunk has arrived: the server then waits for the client to go away.
        var progress = new Recorder(_ => cancel.Cancel());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.Datasets.SaveAsync("slow", destination, progress, cancel.Token));

        Assert.Single(progress.Reports);
        Assert.False(File.Exists(destination));
        Assert.False(File.Exists(destination + ".part"));
    }

    private static byte[] Bytes(int count, int seed)
    {
        byte[] content = new byte[count];
        new Random(seed).NextBytes(content);
        return content;
    }

    private static string OffsetOf(string call) =>
        System.Text.Json.JsonDocument.Parse(call[(call.IndexOf(' ', StringComparison.Ordinal) + 1)..]).RootElement.TryGetProperty("offset", out var offset)
            ? offset.GetString()!
            : "0";

    private List<(long Offset, int Length)> Chunks(string transfer) =>
        [.. _server.ReceivedChunks.Where(c => c.Transfer == transfer).Select(c => (c.Offset, c.Length))];

    /// <summary>Records progress synchronously, in order (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class Recorder(Action<TransferProgress>? onReport = null) : IProgress<TransferProgress>
    {
        public List<TransferProgress> Reports { get; } = [];

        public void Report(TransferProgress value)
        {
            lock (Reports)
            {
                Reports.Add(value);
            }

            onReport?.Invoke(value);
        }
    }
}
