using System.Security.Cryptography;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;

namespace Disco.Geo.Server.Tests;

public sealed class DatasetTests() : ServerTests("datasets", settings: ["--Limits:MaxUploadBytes=20000000"])
{

    [Fact]
    public async Task Upload_list_get_download_and_delete_round_trip()
    {
        string path = Temp.File(_files, "blue-marble.tif", 2_500_000, seed: 1);
        UploadFileResponse uploaded = await _client.UploadFileAsync(path);
        Assert.False(uploaded.AlreadyExisted);
        Assert.Equal("blue-marble", uploaded.Dataset.Name);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), uploaded.Dataset.Blob.Sha256);

        var listed = await ToListAsync(_client.ListDatasetsAsync());
        Assert.Equal(uploaded.Dataset.Id, Assert.Single(listed).Id);
        Assert.Equal(uploaded.Dataset, await _client.GetDatasetAsync("blue-marble"));

        using var copy = new MemoryStream();
        await _client.DownloadDatasetAsync(uploaded.Dataset.Id, copy);
        Assert.Equal(File.ReadAllBytes(path), copy.ToArray());

        DeleteDatasetResponse deleted = await _client.DeleteDatasetAsync("blue-marble");
        Assert.Equal(2_500_000, deleted.FreedBytes);
        Assert.Empty(await ToListAsync(_client.ListDatasetsAsync()));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_server.DataDirectory, "blobs"), "*", SearchOption.AllDirectories));
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.GetDatasetAsync(uploaded.Dataset.Id));
    }

    [Fact]
    public async Task An_interrupted_upload_resumes_from_the_committed_offset_without_resending()
    {
        string path = Temp.File(_files, "etopo.nc", 3_000_000, seed: 2);
        byte[] content = File.ReadAllBytes(path);
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(content));

        // A client that dies after three chunks: the stream is cancelled mid-upload.
        using (var cancel = new CancellationTokenSource())
        {
            using var call = _client.Stubs.Datasets.UploadFile(_client.CallOptions(null, cancel.Token));
            await call.RequestStream.WriteAsync(new UploadFileRequest { Header = new UploadHeader { Name = "etopo", SizeBytes = content.Length, Sha256 = sha256 } });
            for (int i = 0; i < 3; i++)
            {
                await call.RequestStream.WriteAsync(new UploadFileRequest { Chunk = new FileChunk { Offset = i * 262144, Data = ByteString.CopyFrom(content, i * 262144, 262144) } });
            }

            await WaitForCommittedAsync("etopo", content.Length, sha256, 3 * 262144);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<Exception>(() => call.ResponseAsync);
        }

        UploadStatus status = await _client.Stubs.Datasets.GetUploadStatusAsync(new GetUploadStatusRequest { Name = "etopo", SizeBytes = content.Length, Sha256 = sha256 });
        Assert.Equal(UploadState.InProgress, status.State);
        Assert.Equal(3 * 262144, status.CommittedBytes);
        Assert.Empty(await ToListAsync(_client.ListDatasetsAsync()));

        var reports = new List<TransferProgress>();
        UploadFileResponse resumed = await _client.UploadFileAsync(path, "etopo", new SyncProgress<TransferProgress>(reports.Add));
        Assert.Equal(sha256, resumed.Dataset.Blob.Sha256);
        Assert.Equal(3 * 262144 + 1048576, reports.First(r => r.Phase == TransferPhase.Transferring).Bytes);

        // The server received each byte exactly once.
        string metrics = await (await _server.HttpGetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Equal(content.Length, Metrics.Value(metrics, "disco_upload_bytes_total"));
        using var copy = new MemoryStream();
        await _client.DownloadDatasetAsync("etopo", copy);
        Assert.Equal(content, copy.ToArray());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_server.DataDirectory, "uploads")));
    }

    [Fact]
    public async Task Uploading_the_same_content_again_is_a_no_op_and_different_content_under_that_name_conflicts()
    {
        string path = Temp.File(_files, "a.bin", 100_000, seed: 3);
        UploadFileResponse first = await _client.UploadFileAsync(path, "same");
        UploadFileResponse again = await _client.UploadFileAsync(path, "same");
        Assert.True(again.AlreadyExisted);
        Assert.Equal(first.Dataset.Id, again.Dataset.Id);

        string other = Temp.File(_files, "b.bin", 100_000, seed: 4);
        await Expect.StatusAsync(StatusCode.AlreadyExists, () => _client.UploadFileAsync(other, "same"));
        Assert.Single(await ToListAsync(_client.ListDatasetsAsync()));
    }

    [Fact]
    public async Task A_corrupt_upload_is_rejected_with_data_loss_and_leaves_nothing_behind()
    {
        byte[] content = new byte[200_000];
        new Random(5).NextBytes(content);
        string wrongSha = Convert.ToHexStringLower(SHA256.HashData(content.Reverse().ToArray()));
        using var call = _client.Stubs.Datasets.UploadFile(_client.CallOptions(DateTime.UtcNow.AddSeconds(20), default));
        await call.RequestStream.WriteAsync(new UploadFileRequest { Header = new UploadHeader { Name = "corrupt", SizeBytes = content.Length, Sha256 = wrongSha } });
        await call.RequestStream.WriteAsync(new UploadFileRequest { Chunk = new FileChunk { Offset = 0, Data = ByteString.CopyFrom(content) } });
        await call.RequestStream.CompleteAsync();
        RpcException e = await Expect.RawStatusAsync(StatusCode.DataLoss, () => call.ResponseAsync);
        Assert.Contains("SHA-256", e.Status.Detail, StringComparison.Ordinal);

        Assert.Empty(await ToListAsync(_client.ListDatasetsAsync()));
        UploadStatus status = await _client.Stubs.Datasets.GetUploadStatusAsync(new GetUploadStatusRequest { Name = "corrupt", SizeBytes = content.Length, Sha256 = wrongSha });
        Assert.Equal(UploadState.NotStarted, status.State);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_server.DataDirectory, "blobs"), "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("bad name", 1000, "valid", 0, StatusCode.InvalidArgument)]
    [InlineData("ok", 1000, "not-a-sha", 0, StatusCode.InvalidArgument)]
    [InlineData("ok", 0, "valid", 0, StatusCode.InvalidArgument)]
    [InlineData("ok", 30000000, "valid", 0, StatusCode.OutOfRange)]
    [InlineData("ok", 1000, "valid", 500, StatusCode.OutOfRange)]
    [InlineData("../../etc/passwd", 1000, "valid", 0, StatusCode.InvalidArgument)]
    public async Task Bad_upload_headers_get_the_right_status(string name, long size, string sha, long offset, StatusCode expected)
    {
        string sha256 = sha == "valid" ? new string('a', 64) : sha;
        using var call = _client.Stubs.Datasets.UploadFile(_client.CallOptions(DateTime.UtcNow.AddSeconds(20), default));
        await call.RequestStream.WriteAsync(new UploadFileRequest { Header = new UploadHeader { Name = name, SizeBytes = size, Sha256 = sha256, Offset = offset } });
        await CompleteQuietlyAsync(call.RequestStream);
        RpcException e = await Expect.RawStatusAsync(expected, () => call.ResponseAsync);
        if (expected == StatusCode.InvalidArgument)
        {
            Assert.NotEmpty(new DiscoException(e).FieldViolations);
        }

        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, await _client.CheckHealthAsync());
    }

    [Fact]
    public async Task Bad_chunks_get_the_right_status_and_keep_committed_bytes()
    {
        byte[] content = new byte[400_000];
        new Random(6).NextBytes(content);
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        var header = new UploadHeader { Name = "chunks", SizeBytes = content.Length, Sha256 = sha256 };

        // A chunk first, without a header.
        await SendAsync(StatusCode.InvalidArgument, new UploadFileRequest { Chunk = new FileChunk { Offset = 0, Data = ByteString.CopyFrom(content, 0, 65536) } });
        // A gap: offset 65536 where 0 is expected.
        await SendAsync(StatusCode.InvalidArgument, new UploadFileRequest { Header = header }, new UploadFileRequest { Chunk = new FileChunk { Offset = 65536, Data = ByteString.CopyFrom(content, 0, 65536) } });
        // A chunk below 64 KiB that is not the last.
        await SendAsync(StatusCode.InvalidArgument, new UploadFileRequest { Header = header }, new UploadFileRequest { Chunk = new FileChunk { Offset = 0, Data = ByteString.CopyFrom(content, 0, 1000) } });
        // One good chunk, then data past the announced size.
        await SendAsync(StatusCode.OutOfRange, new UploadFileRequest { Header = header },
            new UploadFileRequest { Chunk = new FileChunk { Offset = 0, Data = ByteString.CopyFrom(content, 0, 262144) } },
            new UploadFileRequest { Chunk = new FileChunk { Offset = 262144, Data = ByteString.CopyFrom(new byte[262144]) } });
        UploadStatus status = await _client.Stubs.Datasets.GetUploadStatusAsync(new GetUploadStatusRequest { Name = "chunks", SizeBytes = content.Length, Sha256 = sha256 });
        Assert.Equal(262144, status.CommittedBytes);
        // A stream that ends early keeps its bytes and says where to resume.
        await SendAsync(StatusCode.FailedPrecondition, new UploadFileRequest { Header = new UploadHeader(header) { Offset = 262144 } });

        string path = Path.Combine(_files, "chunks.bin");
        await File.WriteAllBytesAsync(path, content);
        Assert.Equal(sha256, (await _client.UploadFileAsync(path, "chunks")).Dataset.Blob.Sha256);
    }

    [Fact]
    public async Task An_oversized_message_is_refused_with_resource_exhausted_and_the_server_keeps_serving()
    {
        byte[] big = new byte[5 * 1024 * 1024];
        // A channel without the typed client's own send limit, so the server's limit is what is tested.
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(_server.GrpcAddress, new Grpc.Net.Client.GrpcChannelOptions { MaxSendMessageSize = null });
        using var call = new DatasetService.DatasetServiceClient(channel).UploadFile(deadline: DateTime.UtcNow.AddSeconds(20));
        await call.RequestStream.WriteAsync(new UploadFileRequest { Header = new UploadHeader { Name = "big", SizeBytes = big.Length, Sha256 = new string('b', 64) } });
        try
        {
            await call.RequestStream.WriteAsync(new UploadFileRequest { Chunk = new FileChunk { Offset = 0, Data = ByteString.CopyFrom(big) } });
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
        }

        await Expect.RawStatusAsync(StatusCode.ResourceExhausted, () => call.ResponseAsync);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, await _client.CheckHealthAsync());
        Assert.Empty(await ToListAsync(_client.ListDatasetsAsync()));
    }

    [Fact]
    public async Task Listing_pages_with_tokens_and_rejects_foreign_tokens()
    {
        for (int i = 0; i < 5; i++)
        {
            await _client.UploadFileAsync(Temp.File(_files, $"page{i}.bin", 70_000, seed: 10 + i));
        }

        var names = new List<string>();
        string token = "";
        int pages = 0;
        do
        {
            ListDatasetsResponse page = await _client.Stubs.Datasets.ListDatasetsAsync(new ListDatasetsRequest { PageSize = 2, PageToken = token });
            names.AddRange(page.Datasets.Select(d => d.Name));
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0);
        Assert.Equal(3, pages);
        Assert.Equal(["page0", "page1", "page2", "page3", "page4"], names);
        Assert.Equal(2, (await ToListAsync(_client.ListDatasetsAsync(namePrefix: "page1"))).Count + 1);

        await Expect.RawStatusAsync(StatusCode.InvalidArgument, async () => await _client.Stubs.Datasets.ListDatasetsAsync(new ListDatasetsRequest { PageToken = "garbage!" }));
        await Expect.RawStatusAsync(StatusCode.InvalidArgument, async () => await _client.Stubs.Datasets.ListDatasetsAsync(new ListDatasetsRequest { PageSize = -1 }));
    }

    [Fact]
    public async Task A_gridded_dataset_downloads_as_tiles_with_grid_coordinates()
    {
        var grid = new Grid { Kind = GridKind.Equiangular, Nlat = 91, Nlon = 180 };
        float[] values = new float[2 * 91 * 180];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i * 0.5f;
        }

        string id = await GriddedDatasets.StoreAsync(_server, "gridded", grid, values);
        var assembler = new TileAssembler();
        int tiles = 0;
        await foreach (Tile tile in _client.DownloadTilesAsync(id, rowsPerTile: 10))
        {
            Assert.Equal(tile.RowCount, tile.LatitudesDegrees.Count);
            Assert.Equal(180, tile.LongitudesDegrees.Count);
            assembler.Add(tile);
            tiles++;
        }

        Assert.Equal(10, tiles);
        Assert.Equal(90.0, (await FirstTileAsync(id)).LatitudesDegrees[0], 9);
        Assert.Equal(values, assembler.Values);
        Assert.All(assembler.Mask, m => Assert.Equal(1, m));
    }

    private async Task<Tile> FirstTileAsync(string id)
    {
        await foreach (Tile tile in _client.DownloadTilesAsync(id, rowsPerTile: 5))
        {
            return tile;
        }

        throw new InvalidOperationException("no tiles");
    }

    private async Task SendAsync(StatusCode expected, params UploadFileRequest[] messages)
    {
        using var call = _client.Stubs.Datasets.UploadFile(_client.CallOptions(DateTime.UtcNow.AddSeconds(20), default));
        try
        {
            foreach (UploadFileRequest message in messages)
            {
                await call.RequestStream.WriteAsync(message);
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
        }
        catch (InvalidOperationException)
        {
        }

        await Expect.RawStatusAsync(expected, () => call.ResponseAsync);
    }

    private static async Task CompleteQuietlyAsync(IClientStreamWriter<UploadFileRequest> writer)
    {
        try
        {
            await writer.CompleteAsync();
        }
        catch (RpcException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }

    private Task WaitForCommittedAsync(string name, long size, string sha256, long bytes) =>
        Eventually.HoldsAsync(
            async () => (await _client.Stubs.Datasets.GetUploadStatusAsync(new GetUploadStatusRequest { Name = name, SizeBytes = size, Sha256 = sha256 })).CommittedBytes >= bytes,
            $"the server committing {bytes} bytes of '{name}'");

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (T item in items)
        {
            list.Add(item);
        }

        return list;
    }
}

internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
