using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Disco.Geo.Client;
using Disco.Geo.Gdal;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Bench.Server;

/// <summary>
/// What the server load benchmarks share: the analytic "field" dataset and the small model trained on it, a
/// prediction with tiles, a fixed-time load of concurrent clients, and what the machine was doing meanwhile.
/// </summary>
internal static partial class PredictionLoad
{
    /// <summary>The dataset every load benchmark predicts on.</summary>
    public const string Dataset = "field";

    /// <summary>Uploads an analytic <paramref name="width"/> x <paramref name="height"/> GeoTIFF (a smooth field and its sign as the label) and ingests it as <see cref="Dataset"/> on <paramref name="grid"/>.</summary>
    public static async Task IngestFieldAsync(DiscoClient admin, string directory, int width, int height, Grid grid, CancellationToken cancellationToken)
    {
        string tiff = GlobalGeoTiff.Write(Path.Combine(directory, "field.tif"), width, height, [Field, (lat, lon) => Field(lat, lon) > 0 ? 1 : 0]);
        string raw = (await admin.UploadFileAsync(tiff, "field-raw", null, cancellationToken)).Dataset.Id;
        Job ingest = await admin.WaitForJobAsync((await admin.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = Dataset,
            DatasetId = raw,
            Grid = grid,
            Bands =
            {
                new BandSpec { SourceBand = 1, Role = BandRole.Input, Name = "f" },
                new BandSpec { SourceBand = 2, Role = BandRole.Label, Name = "above" },
            },
        }, cancellationToken)).Id, null, cancellationToken);
        Require(ingest, "ingest");
    }

    /// <summary>A 2-level, 4-channel DISCO U-Net segmenting <see cref="Dataset"/>, batch 1.</summary>
    public static StartTrainingRequest TrainingRequest(string name, int epochs, long seed, int checkpointEvery) => new()
    {
        ModelName = name,
        Datasets = { Dataset },
        Task = TrainingTask.Segmentation,
        Model = new ModelConfig { Levels = 2, BaseChannels = 4, ClassNames = { "below", "above" } },
        HyperParameters = new HyperParameters { Epochs = epochs, BatchSize = 1, LearningRate = 0.01, Seed = seed, CheckpointEverySteps = checkpointEvery },
    };

    public static void Require(Job job, string what)
    {
        if (job.State != JobState.Succeeded)
        {
            throw new InvalidOperationException($"{what} ended {job.State}: {job.Error}");
        }
    }

    /// <summary>One Predict call (values, tiles streamed) read to its end: its time, the tile bytes and the tile count.</summary>
    public static async Task<(double Milliseconds, long Bytes, int Tiles)> PredictOnceAsync(DiscoClient client, string model, CancellationToken cancellationToken)
    {
        var request = new PredictRequest { Model = model, Dataset = Dataset, StreamTiles = true, Output = PredictionOutput.Values };
        var clock = Stopwatch.StartNew();
        long bytes = 0;
        int tiles = 0;
        bool summary = false;
        await foreach (PredictResponse message in client.PredictAsync(request, cancellationToken))
        {
            if (message.Tile is { } tile)
            {
                bytes += tile.Values.Data.Length;
                tiles++;
            }

            summary |= message.MessageCase == PredictResponse.MessageOneofCase.Summary;
        }

        if (!summary || tiles == 0)
        {
            throw new InvalidOperationException($"A prediction ended with {tiles} tiles and {(summary ? "a" : "no")} summary.");
        }

        return (clock.Elapsed.TotalMilliseconds, bytes, tiles);
    }

    /// <summary>
    /// <paramref name="clients"/> clients, each its own <see cref="DiscoClient"/> on <paramref name="addressOf"/>(its
    /// index), calling Predict back to back. The first <paramref name="warmUp"/> is not measured: the clients connect
    /// (a multi-address client's balancer needs every subchannel ready before it spreads), the model reaches every
    /// replica's cache and the JIT finishes its tiers there. Then <paramref name="duration"/> is measured: requests
    /// that started in it count, and the rate divides by the time until the last of them ended.
    /// </summary>
    public static async Task<LoadResult> RunClientsAsync(
        Func<int, string> addressOf, int clients, string model, TimeSpan warmUp, TimeSpan duration, CancellationToken cancellationToken)
    {
        var latencies = new List<double>();
        long bytes = 0;
        int failures = 0;
        var errors = new List<string>();
        var clock = Stopwatch.StartNew();
        TimeSpan end = warmUp + duration;
        double lastEnd = warmUp.TotalSeconds;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
        {
            using DiscoClient client = DiscoClient.Connect(new DiscoClientOptions { Address = addressOf(i) });
            while (clock.Elapsed < end)
            {
                bool measured = clock.Elapsed >= warmUp;
                try
                {
                    (double ms, long received, _) = await PredictOnceAsync(client, model, cancellationToken);
                    if (measured)
                    {
                        lock (latencies)
                        {
                            latencies.Add(ms);
                            bytes += received;
                            lastEnd = Math.Max(lastEnd, clock.Elapsed.TotalSeconds);
                        }
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Interlocked.Increment(ref failures);
                    string first = e.Message.Split('\n')[0].Trim();
                    lock (errors)
                    {
                        errors.Add(first);
                    }

                    Console.Error.WriteLine("Prediction failed: " + first);
                }
            }
        }, cancellationToken)));

        latencies.Sort();
        return new LoadResult(lastEnd - warmUp.TotalSeconds, latencies, bytes, failures, errors);
    }

    /// <summary>
    /// Warms one replica up by count, not by time: <paramref name="clients"/> clients each run
    /// <paramref name="perClient"/> predictions against <paramref name="address"/>. A replica that just started
    /// JIT-compiles its whole prediction path first, which on a busy core can take far longer than any fixed warm-up;
    /// measuring it cold made a second replica look slower than none.
    /// </summary>
    public static Task WarmUpAsync(string address, int clients, int perClient, string model, CancellationToken cancellationToken) =>
        Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            using DiscoClient client = DiscoClient.Connect(new DiscoClientOptions { Address = address });
            for (int i = 0; i < perClient; i++)
            {
                await PredictOnceAsync(client, model, cancellationToken);
            }
        }, cancellationToken)));

    /// <summary>
    /// Prediction attempts a replica finished (its /metrics histogram count, read over HTTP/2 on the gRPC port), or -1
    /// when it cannot be read: the difference across a phase shows how the clients' calls were spread.
    /// </summary>
    public static async Task<long> PredictionsServedAsync(string address, CancellationToken cancellationToken)
    {
        try
        {
            using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
            string metrics = await http.GetStringAsync(new Uri(new Uri(address), "/metrics"), cancellationToken);
            Match count = PredictionCount().Match(metrics);
            return count.Success ? long.Parse(count.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        }
        catch (HttpRequestException)
        {
            return -1;
        }
    }

    /// <summary>The machine's load averages from /proc/loadavg: how busy the shared cores were.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    [GeneratedRegex("^disco_job_duration_seconds_count\\{kind=\"prediction\",state=\"succeeded\"\\} (\\d+)", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex PredictionCount();

    private static double Field(double latDegrees, double lonDegrees)
    {
        double lat = latDegrees * Math.PI / 180;
        double lon = lonDegrees * Math.PI / 180;
        return (Math.Cos(lat) * Math.Cos(2 * lon)) + (0.5 * Math.Sin(3 * lat)) + (0.3 * Math.Sin(lon + lat));
    }
}

/// <summary>A measured load phase: latencies sorted, tile bytes received, failures with their first lines.</summary>
internal sealed record LoadResult(double Seconds, List<double> Latencies, long Bytes, int Failures, List<string> Errors)
{
    /// <summary>The server's peak RSS during the phase, or -1 when not measured.</summary>
    public long PeakRss { get; init; } = -1;

    public int Requests => Latencies.Count;

    public double Rate => Seconds > 0 ? Latencies.Count / Seconds : 0;

    /// <summary>The <paramref name="p"/> quantile of the latencies in ms (nearest rank).</summary>
    public double P(double p) =>
        Latencies.Count == 0 ? double.NaN : Latencies[Math.Min(Latencies.Count - 1, Math.Max(0, (int)Math.Ceiling(p * Latencies.Count) - 1))];
}
