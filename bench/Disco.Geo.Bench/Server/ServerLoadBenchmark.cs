using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Client;
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
        string loadBefore = PredictionLoad.LoadAverage();

        // Training is exclusive on its device lane by default and the CPU lane runs one job at a time, so predictions
        // would simply queue until training ends. The load test needs them side by side: both limits are lifted.
        ServerProcess server = await ServerProcess.StartAsync(data, ["--Jobs:ExclusiveTraining=false", $"--Jobs:Concurrency:cpu={Clients + 1}"]);
        try
        {
            string address = server.Address;
            using DiscoClient admin = DiscoClient.Connect(new DiscoClientOptions { Address = address });

            var grid = new Grid { Kind = GridKind.Equiangular, Nlat = nlat, Nlon = nlon, LonOriginDegrees = -180 };
            await PredictionLoad.IngestFieldAsync(admin, data, 720, 360, grid, cancellationToken);
            Console.WriteLine($"Ingested {nlat} x {nlon}");

            var clock = Stopwatch.StartNew();
            Job first = await admin.WaitForJobAsync((await admin.StartTrainingAsync(PredictionLoad.TrainingRequest("load-model", epochs: 3, seed: 3, checkpointEvery: 1000), cancellationToken)).Id, null, cancellationToken);
            PredictionLoad.Require(first, "training the model");
            string model = first.Result.ModelId;
            Console.WriteLine($"Trained the model in {clock.Elapsed.TotalSeconds:F1} s");

            // Warm-up: one prediction loads the model into the server's cache and JITs the path.
            (_, long warmBytes, int warmTiles) = await PredictionLoad.PredictOnceAsync(admin, model, cancellationToken);
            Console.WriteLine($"One prediction: {warmTiles} tiles, {warmBytes / 1e3:F0} kB of values");

            // The long training job: epochs far beyond the run, cancelled once the loaded phase is over.
            Job training = await admin.StartTrainingAsync(PredictionLoad.TrainingRequest("load-long", epochs: 100_000, seed: 3, checkpointEvery: 1000), cancellationToken);
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
            LoadResult withTraining = await PredictionLoad.RunClientsAsync(_ => address, Clients, model, TimeSpan.Zero, phase, cancellationToken);
            (stepsAfter, at1) = steps.Latest;
            double trainingLoaded = (stepsAfter - stepsBefore) / (at1 - at0);
            withTraining = withTraining with { PeakRss = server.PeakRssBytes() };
            Console.WriteLine($"With training: {withTraining.Rate:F2} predictions/s, training {trainingLoaded:F2} steps/s");

            await admin.CancelJobAsync(training.Id, cancellationToken);
            Job cancelled = await admin.WaitForJobAsync(training.Id, null, cancellationToken);
            await watchStop.CancelAsync();
            await watcher.ContinueWith(_ => { }, TaskScheduler.Default);

            server.ResetPeakRss();
            LoadResult alone = await PredictionLoad.RunClientsAsync(_ => address, Clients, model, TimeSpan.Zero, phase, cancellationToken);
            alone = alone with { PeakRss = server.PeakRssBytes() };
            Console.WriteLine($"Without training: {alone.Rate:F2} predictions/s");

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
                $"Training slows to {trainingLoaded / trainingAlone * 100:F0} % of its unloaded rate while the predictions run; predictions reach {withTraining.Rate / alone.Rate * 100:F0} % of their rate without training. The long training job ended {cancelled.State.ToString().ToLowerInvariant()} (cancelled on purpose). Failed requests: {withTraining.Failures + alone.Failures}."));
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

            report.AppendLine($"Load average (1, 5, 15 min) before the run: {loadBefore}; after: {PredictionLoad.LoadAverage()}.");
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

    private static string Row(string name, LoadResult result, string trainingSteps) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {result.Rate:F2} | {result.Bytes / 1e6 / result.Seconds:F2} | {result.P(0.5):F0} | {result.P(0.99):F0} | {result.Requests} | {trainingSteps} | {Mib(result.PeakRss)} |");

    private static string Mib(long bytes) => bytes < 0 ? "?" : (bytes / (1024.0 * 1024)).ToString("F0", CultureInfo.InvariantCulture);

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
