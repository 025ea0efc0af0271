using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Client;
using Disco.Geo.Gdal;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Bench.Server;

/// <summary>
/// The server under mixed load: a real disco-server child process (so its peak RSS is its own) on loopback with a
/// temporary data directory, a gridded dataset ingested from an analytic GeoTIFF, a small model trained first, then
/// 8 concurrent clients (each on its own channel) streaming predictions with tiles for a fixed time, once while a
/// second, long training job runs and once without it; training steps/s are measured with and without that load.
/// </summary>
internal sealed class ServerLoadBenchmark : IBenchmark
{
    private const int Clients = 8;

    public string Name => "server-load";

    public string Description => "disco-server child process: 8 clients streaming predictions with tiles, with and without a training job running";

    public async Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        bool quick = context.Quick;
        int nlat = int.Parse(context.Option("nlat", quick ? "91" : "181"), CultureInfo.InvariantCulture);
        int nlon = int.Parse(context.Option("nlon", quick ? "180" : "360"), CultureInfo.InvariantCulture);
        TimeSpan phase = TimeSpan.FromSeconds(int.Parse(context.Option("seconds", quick ? "10" : "45"), CultureInfo.InvariantCulture));
        string data = Path.Combine(Path.GetTempPath(), "disco-bench-load-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        string loadBefore = LoadAverage();

        // Training is exclusive on its device lane by default and the CPU lane runs one job at a time, so predictions
        // would simply queue until training ends. The load test needs them side by side: both limits are lifted.
        ServerProcess server = await ServerProcess.StartAsync(data, ["--Jobs:ExclusiveTraining=false", $"--Jobs:Concurrency:cpu={Clients + 1}"]);
        try
        {
            string address = server.Address;
            using DiscoClient admin = DiscoClient.Connect(new DiscoClientOptions { Address = address });

            string tiff = WriteLabelledGeoTiff(Path.Combine(data, "field.tif"), 720, 360);
            var grid = new Grid { Kind = GridKind.Equiangular, Nlat = nlat, Nlon = nlon, LonOriginDegrees = -180 };
            string raw = (await admin.UploadFileAsync(tiff, "field-raw", null, cancellationToken)).Dataset.Id;
            Job ingest = await admin.WaitForJobAsync((await admin.IngestDatasetAsync(new IngestDatasetRequest
            {
                Name = "field",
                DatasetId = raw,
                Grid = grid,
                Bands =
                {
                    new BandSpec { SourceBand = 1, Role = BandRole.Input, Name = "f" },
                    new BandSpec { SourceBand = 2, Role = BandRole.Label, Name = "above" },
                },
            }, cancellationToken)).Id, null, cancellationToken);
            Require(ingest, "ingest");
            Console.WriteLine($"Ingested {nlat} x {nlon}");

            var clock = Stopwatch.StartNew();
            Job first = await admin.WaitForJobAsync((await admin.StartTrainingAsync(TrainingRequest("load-model", epochs: 3), cancellationToken)).Id, null, cancellationToken);
            Require(first, "training the model");
            string model = first.Result.ModelId;
            Console.WriteLine($"Trained the model in {clock.Elapsed.TotalSeconds:F1} s");

            // Warm-up: one prediction loads the model into the server's cache and JITs the path.
            (_, long warmBytes, int warmTiles) = await PredictOnceAsync(admin, model, "field", cancellationToken);
            Console.WriteLine($"One prediction: {warmTiles} tiles, {warmBytes / 1e3:F0} kB of values");

            // The long training job: epochs far beyond the run, cancelled once the loaded phase is over.
            Job training = await admin.StartTrainingAsync(TrainingRequest("load-long", epochs: 100_000), cancellationToken);
            using var watchStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var steps = new StepWatcher();
            Task watcher = steps.WatchAsync(admin, training.Id, watchStop.Token);
            await steps.WaitForStepsAsync(3, TimeSpan.FromSeconds(60), cancellationToken);

            server.ResetPeakRss();
            (long stepsBefore, double at0) = steps.Latest;
            await Task.Delay(phase, cancellationToken);
            (long stepsAfter, double at1) = steps.Latest;
            double trainingAlone = (stepsAfter - stepsBefore) / (at1 - at0);
            long rssTrainingAlone = server.PeakRssBytes();
            Console.WriteLine($"Training alone: {trainingAlone:F2} steps/s");

            server.ResetPeakRss();
            (stepsBefore, at0) = steps.Latest;
            LoadResult withTraining = await RunClientsAsync(address, model, phase, cancellationToken);
            (stepsAfter, at1) = steps.Latest;
            double trainingLoaded = (stepsAfter - stepsBefore) / (at1 - at0);
            withTraining = withTraining with { PeakRss = server.PeakRssBytes() };
            Console.WriteLine($"With training: {withTraining.Requests / withTraining.Seconds:F2} predictions/s, training {trainingLoaded:F2} steps/s");

            await admin.CancelJobAsync(training.Id, cancellationToken);
            Job cancelled = await admin.WaitForJobAsync(training.Id, null, cancellationToken);
            await watchStop.CancelAsync();
            await watcher.ContinueWith(_ => { }, TaskScheduler.Default);

            server.ResetPeakRss();
            LoadResult alone = await RunClientsAsync(address, model, phase, cancellationToken);
            alone = alone with { PeakRss = server.PeakRssBytes() };
            Console.WriteLine($"Without training: {alone.Requests / alone.Seconds:F2} predictions/s");

            var report = new StringBuilder();
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"disco-server as a child process (`dotnet disco-server.dll`, loopback, temporary data directory, `--Jobs:ExclusiveTraining=false --Jobs:Concurrency:cpu={Clients + 1}`). An analytic 720 x 360 GeoTIFF (input field and a threshold label) ingested onto an equiangular {nlat} x {nlon} grid; a DISCO U-Net (2 levels, 4 base channels, kernel [3], piecewise linear basis) trained for 3 epochs to have a model. Load: {Clients} clients, each on its own channel, each calling Predict (values output, stream_tiles, server's tile size) back to back for {phase.TotalSeconds:F0} s. A prediction carries {warmTiles} tiles with {warmBytes / 1e3:F0} kB of float32 values. The long training job is the same model shape on the same dataset, batch 1.\n"));
            report.AppendLine("| phase | predictions/s | tile MB/s | request p50 (ms) | request p99 (ms) | requests | training steps/s | server peak RSS (MiB) |");
            report.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| training alone | - | - | - | - | - | {trainingAlone:F2} | {Mib(rssTrainingAlone)} |"));
            report.AppendLine(Row($"{Clients} clients + training", withTraining, trainingLoaded.ToString("F2", CultureInfo.InvariantCulture)));
            report.AppendLine(Row($"{Clients} clients, no training", alone, "-"));
            report.AppendLine();
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"Training slows to {trainingLoaded / trainingAlone * 100:F0} % of its unloaded rate while the predictions run; predictions reach {withTraining.Requests / withTraining.Seconds / (alone.Requests / alone.Seconds) * 100:F0} % of their rate without training. The long training job ended {cancelled.State.ToString().ToLowerInvariant()} (cancelled on purpose). Failed requests: {withTraining.Failures + alone.Failures}."));
            report.AppendLine();
            List<string> errors = [.. withTraining.Errors, .. alone.Errors];
            foreach (IGrouping<string, string> error in errors.GroupBy(e => e, StringComparer.Ordinal))
            {
                report.AppendLine($"- {error.Count()} x `{error.Key}`");
            }

            if (errors.Count > 0)
            {
                report.AppendLine();

                // The server logs failed jobs with their managed stack traces: print them for diagnosis.
                Console.Error.WriteLine(server.Output);
            }

            report.AppendLine($"Load average (1, 5, 15 min) before the run: {loadBefore}; after: {LoadAverage()}.");
            report.AppendLine();
            report.AppendLine("Notes: the 2 cores are shared by the server, the 8 client channels in the benchmark process and whatever else runs on the " +
                "machine (other engineers' builds and tests), so absolute numbers move from run to run; the ratios between the rows are the point. " +
                "Peak RSS is the server process's VmHWM, reset at the start of each phase through /proc/<pid>/clear_refs. " +
                "With the default job settings (training exclusive on the cpu lane, one cpu job at a time) a prediction submitted during training " +
                "waits in the queue until the training ends; this run lifts both limits to measure them side by side.");
            context.WriteSection("gRPC server under load: concurrent predictions and training", report.ToString());
            return withTraining.Failures + alone.Failures == 0 ? 0 : 1;
        }
        catch
        {
            Console.Error.WriteLine(server.Output);
            throw;
        }
        finally
        {
            server.Dispose();
            Directory.Delete(data, recursive: true);
        }
    }

    private static string Row(string name, LoadResult result, string trainingSteps)
    {
        result.Latencies.Sort();
        return string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {result.Requests / result.Seconds:F2} | {result.Bytes / 1e6 / result.Seconds:F2} | {Percentile(result.Latencies, 0.5):F0} | {Percentile(result.Latencies, 0.99):F0} | {result.Requests} | {trainingSteps} | {Mib(result.PeakRss)} |");
    }

    private static string Mib(long bytes) => bytes < 0 ? "?" : (bytes / (1024.0 * 1024)).ToString("F0", CultureInfo.InvariantCulture);

    private static StartTrainingRequest TrainingRequest(string name, int epochs) => new()
    {
        ModelName = name,
        Datasets = { "field" },
        Task = TrainingTask.Segmentation,
        Model = new ModelConfig { Levels = 2, BaseChannels = 4, ClassNames = { "below", "above" } },
        HyperParameters = new HyperParameters { Epochs = epochs, BatchSize = 1, LearningRate = 0.01, Seed = 3, CheckpointEverySteps = 1000 },
    };

    private static void Require(Job job, string what)
    {
        if (job.State != JobState.Succeeded)
        {
            throw new InvalidOperationException($"{what} ended {job.State}: {job.Error}");
        }
    }

    private static async Task<(double Milliseconds, long Bytes, int Tiles)> PredictOnceAsync(DiscoClient client, string model, string dataset, CancellationToken cancellationToken)
    {
        var request = new PredictRequest { Model = model, Dataset = dataset, StreamTiles = true, Output = PredictionOutput.Values };
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

    private static async Task<LoadResult> RunClientsAsync(string address, string model, TimeSpan duration, CancellationToken cancellationToken)
    {
        var latencies = new List<double>();
        long bytes = 0;
        int failures = 0;
        var errors = new List<string>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            using DiscoClient client = DiscoClient.Connect(new DiscoClientOptions { Address = address });
            while (clock.Elapsed < duration)
            {
                try
                {
                    (double ms, long received, _) = await PredictOnceAsync(client, model, "field", cancellationToken);
                    lock (latencies)
                    {
                        latencies.Add(ms);
                        bytes += received;
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

        // Requests in flight at the deadline finish and count, so the rate divides by the time until the last one ended.
        return new LoadResult(clock.Elapsed.TotalSeconds, latencies.Count, bytes, latencies, failures, -1, errors);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>The machine's load averages from /proc/loadavg: how busy the shared cores were.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    /// <summary>Band 1: a smooth global field; band 2: 1 where it is positive, else 0.</summary>
    private static string WriteLabelledGeoTiff(string path, int width, int height) =>
        GlobalGeoTiff.Write(path, width, height, [Field, (lat, lon) => Field(lat, lon) > 0 ? 1 : 0]);

    private static double Field(double latDegrees, double lonDegrees)
    {
        double lat = latDegrees * Math.PI / 180;
        double lon = lonDegrees * Math.PI / 180;
        return (Math.Cos(lat) * Math.Cos(2 * lon)) + (0.5 * Math.Sin(3 * lat)) + (0.3 * Math.Sin(lon + lat));
    }

    private sealed record LoadResult(double Seconds, int Requests, long Bytes, List<double> Latencies, int Failures, long PeakRss, List<string> Errors);

    /// <summary>Follows a training job's progress and keeps its latest step with the time it was seen.</summary>
    private sealed class StepWatcher
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly object _gate = new();
        private long _step;

        public (long Step, double Seconds) Latest
        {
            get
            {
                lock (_gate)
                {
                    // The step counts as of now: progress arrives per step, so the last one seen is current.
                    return (_step, _clock.Elapsed.TotalSeconds);
                }
            }
        }

        public async Task WatchAsync(DiscoClient client, string jobId, CancellationToken cancellationToken)
        {
            await foreach (Job job in client.WatchJobAsync(jobId, cancellationToken))
            {
                lock (_gate)
                {
                    _step = Math.Max(_step, job.Progress?.Step ?? 0);
                }

                if (DiscoClient.IsFinal(job.State))
                {
                    return;
                }
            }
        }

        public async Task WaitForStepsAsync(long steps, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var deadline = Stopwatch.StartNew();
            while (Latest.Step < steps)
            {
                if (deadline.Elapsed > timeout)
                {
                    throw new TimeoutException($"The training job did not reach step {steps} within {timeout.TotalSeconds:F0} s.");
                }

                await Task.Delay(100, cancellationToken);
            }
        }
    }
}
