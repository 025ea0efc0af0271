using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Raster.Storage;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Hosting;
using Disco.Geo.Server.Jobs.Handlers;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Storage;
using Google.Protobuf.WellKnownTypes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Disco.Geo.Bench.Server;

/// <summary>
/// Loopback throughput of the gRPC server: a gridded dataset streamed as float32 latitude-band tiles to 1..N
/// concurrent clients, a resumable upload and a raw download, with per-stream latency percentiles and peak memory.
/// The server runs in this process on 127.0.0.1 with a temporary data directory; client and server share the cores.
/// </summary>
internal sealed class ServerStreamingBenchmark : IBenchmark
{
    public string Name => "server-streaming";

    public string Description => "gRPC loopback: tile streaming to 1-8 concurrent clients, upload and download throughput";

    public async Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        bool quick = context.Quick;
        int nlat = quick ? 361 : 721, nlon = quick ? 720 : 1440, bands = 3;
        int repetitions = quick ? 2 : 5;
        int[] clientCounts = quick ? [1, 4] : [1, 2, 4, 8];
        long uploadBytes = quick ? 32L << 20 : 256L << 20;
        string data = Path.Combine(Path.GetTempPath(), "disco-bench-server-" + Guid.NewGuid().ToString("N")[..8]);
        WebApplication app = DiscoServer.Build(["--listen", "127.0.0.1:0", "--http-listen", "off", "--data-dir", data, "--Server:ShutdownDrain=00:00:00"],
            builder => builder.Logging.ClearProviders());
        await DiscoServer.InitializeAsync(app, cancellationToken);
        await app.StartAsync(cancellationToken);
        var report = new StringBuilder();
        try
        {
            string address = DiscoServer.BoundAddresses(app)[0];
            string datasetId = await StoreGriddedAsync(app, nlat, nlon, bands, cancellationToken);
            long tileBytes = (long)bands * nlat * nlon * sizeof(float);
            Console.WriteLine($"Gridded dataset {bands} x {nlat} x {nlon} float32 = {tileBytes / 1e6:F1} MB per stream");

            report.AppendLine($"Tile streaming: DownloadDataset of a gridded dataset, {bands} bands x {nlat} x {nlon} float32 ({tileBytes / 1e6:F1} MB of values per stream), " +
                "latitude-band tiles of about 1 MiB (the server's default), each client on its own channel (own HTTP/2 connection), " +
                $"{repetitions} streams per client. Throughput counts tile value bytes only.\n");
            report.AppendLine("| clients | aggregate MB/s | per-stream p50 (ms) | per-stream p99 (ms) | streams |");
            report.AppendLine("|---:|---:|---:|---:|---:|");
            foreach (int clients in clientCounts)
            {
                // One warm-up stream per client count keeps JIT and connection set-up out of the numbers.
                await RunClientsAsync(address, datasetId, clients, 1, cancellationToken);
                (double seconds, List<double> latencies) = await RunClientsAsync(address, datasetId, clients, repetitions, cancellationToken);
                double megabytesPerSecond = clients * repetitions * tileBytes / 1e6 / seconds;
                latencies.Sort();
                report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {clients} | {megabytesPerSecond:F0} | {Percentile(latencies, 0.5):F0} | {Percentile(latencies, 0.99):F0} | {latencies.Count} |"));
                Console.WriteLine($"{clients} clients: {megabytesPerSecond:F0} MB/s");
            }

            (double uploadMbps, double downloadMbps) = await TransferAsync(address, data, uploadBytes, cancellationToken);
            report.AppendLine();
            report.AppendLine($"Upload (UploadFile, 1 MiB chunks, SHA-256 verified by the server before commit) of {uploadBytes >> 20} MiB: **{uploadMbps:F0} MB/s** " +
                "including the server-side hash and the move into the blob store (client-side hashing excluded). " +
                $"Raw download (DownloadDataset, 1 MiB chunks) of the same file: **{downloadMbps:F0} MB/s**.");
            report.AppendLine();
            report.AppendLine($"Peak RSS of the process (server and clients together): {BenchmarkContext.PeakRssBytes() / (1024.0 * 1024):F0} MiB.");
            report.AppendLine();
            report.AppendLine("The machine's 2 cores are shared with other builds and benchmarks while this runs, so absolute numbers vary between runs. " +
                "Prediction streams (8 concurrent clients calling Predict with tiles, with and without a training job running in the server) " +
                "are measured by the server-load benchmark (bench/results/server-load.md).");
            context.WriteSection("gRPC server: loopback streaming throughput", report.ToString());
            return 0;
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<(double Seconds, List<double> Latencies)> RunClientsAsync(string address, string datasetId, int clients, int repetitions, CancellationToken cancellationToken)
    {
        var latencies = new List<double>();
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            using DiscoClient client = DiscoClient.Connect(new DiscoClientOptions { Address = address });
            for (int r = 0; r < repetitions; r++)
            {
                var stream = Stopwatch.StartNew();
                long bytes = 0;
                await foreach (Tile tile in client.DownloadTilesAsync(datasetId, 0, cancellationToken))
                {
                    bytes += tile.Values.Data.Length;
                }

                lock (latencies)
                {
                    latencies.Add(stream.Elapsed.TotalMilliseconds);
                }

                if (bytes == 0)
                {
                    throw new InvalidOperationException("The stream carried no tiles.");
                }
            }
        }, cancellationToken)));
        return (total.Elapsed.TotalSeconds, latencies);
    }

    private static async Task<(double Upload, double Download)> TransferAsync(string address, string data, long size, CancellationToken cancellationToken)
    {
        string path = Path.Combine(data, "upload.bin");
        await using (var file = File.Create(path))
        {
            byte[] block = new byte[1 << 20];
            var random = new Random(1);
            for (long written = 0; written < size; written += block.Length)
            {
                random.NextBytes(block);
                await file.WriteAsync(block, cancellationToken);
            }
        }

        using DiscoClient client = DiscoClient.Connect(new DiscoClientOptions { Address = address });
        await DiscoClient.HashAsync(new FileInfo(path), null, cancellationToken);
        var clock = new Stopwatch();
        var progress = new StartOnTransfer(clock);
        UploadFileResponse uploaded = await client.UploadFileAsync(path, "upload-bench", progress, cancellationToken);
        double upload = size / 1e6 / clock.Elapsed.TotalSeconds;
        File.Delete(path);

        var download = Stopwatch.StartNew();
        await using (var sink = new HashingSink())
        {
            await client.DownloadDatasetAsync(uploaded.Dataset.Id, sink, null, cancellationToken);
        }

        return (upload, size / 1e6 / download.Elapsed.TotalSeconds);
    }

    private static async Task<string> StoreGriddedAsync(WebApplication app, int nlat, int nlon, int bands, CancellationToken cancellationToken)
    {
        IServiceProvider services = app.Services;
        DataDirectory directory = services.GetRequiredService<DataDirectory>();
        string temp = directory.NewTempPath(".tensor");
        float[] values = new float[(long)bands * nlat * nlon];
        for (long i = 0; i < values.LongLength; i++)
        {
            values[i] = (float)Math.Sin(i * 1e-3);
        }

        using (TensorFile file = TensorFile.Create(temp, bands, nlat, nlon, hasMask: false))
        {
            file.WriteRows(0, nlat, values, default);
        }

        var dataset = new Dataset
        {
            Id = Ids.New(Ids.Dataset),
            Name = "bench-grid",
            Kind = DatasetKind.Gridded,
            Grid = new Grid { Kind = GridKind.Equiangular, Nlat = nlat, Nlon = nlon },
            Bands = { Enumerable.Range(0, bands).Select(b => new Band { Name = "b" + b, Role = BandRole.Input }) },
            CreateTime = Timestamp.FromDateTime(DateTime.UtcNow),
        };
        await StoredRecords.CommitDatasetAsync(services.GetRequiredService<ICatalog>(), services.GetRequiredService<IBlobStore>(), temp, dataset.ToRecord(), cancellationToken);
        return dataset.Id;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>Starts the clock at the first transferred byte, so client-side hashing is not counted.</summary>
    private sealed class StartOnTransfer(Stopwatch clock) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value)
        {
            if (value.Phase == TransferPhase.Transferring && !clock.IsRunning)
            {
                clock.Start();
            }
        }
    }

    /// <summary>A write-only stream that hashes what it receives, standing in for a file.</summary>
    private sealed class HashingSink : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => _hash.AppendData(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _hash.AppendData(buffer.Span);
            return ValueTask.CompletedTask;
        }

        protected override void Dispose(bool disposing)
        {
            _hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
