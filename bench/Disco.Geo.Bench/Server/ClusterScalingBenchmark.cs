using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Client;
using Disco.Geo.Gdal;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Bench.Server;

/// <summary>
/// Cluster mode from outside: disco-server child processes on one throw-away PostgreSQL and one blob root, each pinned
/// to one core with <c>taskset -c</c>. Prediction throughput and latency with one replica and with two (the same
/// clients, one multi-address <see cref="DiscoClient"/> each, round robin), then the failover time of a training job:
/// from kill -9 of the replica that runs it to the first progress of the attempt another replica resumed.
/// </summary>
internal sealed class ClusterScalingBenchmark : IBenchmark
{
    private const int Clients = 8;

    public string Name => "cluster-scaling";

    public string Description => "cluster mode: predictions/s with 1 and 2 replicas (one core each, taskset), and training failover time after kill -9";

    public async Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        bool quick = context.Quick;
        int nlat = int.Parse(context.Option("nlat", quick ? "46" : "91"), CultureInfo.InvariantCulture);
        int nlon = int.Parse(context.Option("nlon", quick ? "90" : "180"), CultureInfo.InvariantCulture);
        TimeSpan phase = TimeSpan.FromSeconds(int.Parse(context.Option("seconds", quick ? "15" : "45"), CultureInfo.InvariantCulture));
        string lease = context.Option("lease", "00:00:05");
        int cores = Environment.ProcessorCount;
        if (cores < 2)
        {
            Console.Error.WriteLine("cluster-scaling needs two cores to pin two replicas.");
            return 1;
        }

        string root = Path.Combine(Path.GetTempPath(), "disco-bench-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        string blobRoot = Path.Combine(root, "blobs");
        Directory.CreateDirectory(blobRoot);
        string loadBefore = LoadAverage();
        await using PostgresServer postgres = await PostgresServer.StartAsync();
        string connectionString = await postgres.CreateDatabaseAsync();
        string[] settings =
        [
            "--postgres", connectionString, "--blob-root", blobRoot, "--Server:ShutdownDrain=00:00:00",
            $"--Cluster:LeaseDuration={lease}", "--Cluster:HeartbeatInterval=00:00:01", "--Cluster:PollInterval=00:00:00.250",
            // Predictions run as jobs on the cpu lane of the replica that took the call: one lane slot per client.
            $"--Jobs:Concurrency:cpu={Clients}",
        ];
        var replicas = new List<ServerProcess>();
        try
        {
            replicas.Add(await StartReplicaAsync(root, "a", 0, settings));
            using DiscoClient admin = DiscoClient.Connect(new DiscoClientOptions { Address = replicas[0].Address });

            string tiff = WriteLabelledGeoTiff(Path.Combine(root, "field.tif"), 360, 180);
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
            Job first = await admin.WaitForJobAsync((await admin.StartTrainingAsync(TrainingRequest("cluster-model", epochs: 2, checkpointEvery: 0), cancellationToken)).Id, null, cancellationToken);
            Require(first, "training the model");
            string model = first.Result.ModelId;
            Console.WriteLine($"Ingested {nlat} x {nlon} and trained the model on replica a");

            // Warm-up: the model loads into each replica's cache and the prediction path is JIT-compiled there.
            await PredictOnceAsync(admin, model, cancellationToken);
            LoadResult one = await RunClientsAsync(_ => replicas[0].Address, model, phase, cancellationToken);
            Console.WriteLine($"1 replica: {one.Rate:F2} predictions/s, p50 {one.P(0.5):F0} ms, p99 {one.P(0.99):F0} ms, {one.Failures} failed");

            replicas.Add(await StartReplicaAsync(root, "b", 1, settings));
            using (DiscoClient b = DiscoClient.Connect(new DiscoClientOptions { Address = replicas[1].Address }))
            {
                await PredictOnceAsync(b, model, cancellationToken);
            }

            string both = replicas[0].Address + "," + replicas[1].Address;
            LoadResult two = await RunClientsAsync(_ => both, model, phase, cancellationToken);
            Console.WriteLine($"2 replicas: {two.Rate:F2} predictions/s, p50 {two.P(0.5):F0} ms, p99 {two.P(0.99):F0} ms, {two.Failures} failed");
            // The same two replicas with each client given one of them (half each): separates the cost of the
            // client-side balancing from what the second replica adds.
            LoadResult split = await RunClientsAsync(i => replicas[i % 2].Address, model, phase, cancellationToken);
            Console.WriteLine($"2 replicas, clients split: {split.Rate:F2} predictions/s, p50 {split.P(0.5):F0} ms, p99 {split.P(0.99):F0} ms, {split.Failures} failed");

            (double failover, double detect, string from, string to, long resumedAt) = await MeasureFailoverAsync(replicas, both, cancellationToken);
            Console.WriteLine($"Failover: {failover:F2} s from kill -9 of {from} to the first progress (step {resumedAt}) of the attempt {to} resumed (claimed after {detect:F2} s)");

            string loadAfter = LoadAverage();
            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"Setup: PostgreSQL {PostgresMajor()} (throw-away cluster on a Unix socket), one blob root on the local disk, disco-server replicas as child processes (`dotnet disco-server.dll --postgres … --blob-root … --replica-id a|b`), replica a pinned with `taskset -c 0`, replica b with `taskset -c 1`. `--Jobs:Concurrency:cpu={Clients}`, lease {lease}, heartbeat 1 s, poll 250 ms.");
            text.AppendLine(CultureInfo.InvariantCulture, $"Load: {Clients} clients in the benchmark process (not pinned: they share both cores with the replicas, so with one replica they have core 1 mostly to themselves and with two replicas they compete with replica b), each its own `DiscoClient`, calling Predict (values, stream_tiles) back to back for {phase.TotalSeconds:F0} s on an equiangular {nlat} x {nlon} dataset with a 2-level, 4-channel DISCO U-Net. With two replicas each client is given both addresses (`a,b`) and its calls go round robin.");
            text.AppendLine();
            text.AppendLine("| Replicas | Predictions/s | p50 ms | p99 ms | Requests | Failed |");
            text.AppendLine("|---:|---:|---:|---:|---:|---:|");
            text.AppendLine(one.Row("1"));
            text.AppendLine(two.Row("2, every client given both addresses (round robin)"));
            text.AppendLine(split.Row("2, half the clients given a, half b"));
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Scaling ratio (2 replicas / 1 replica): **{two.Rate / one.Rate:F2}x** with round robin, {split.Rate / one.Rate:F2}x with the clients split.");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Training failover: kill -9 of replica {from} while it trained (after step 20, checkpoints every 5 steps) → replica {to} claimed the job after {detect:F2} s and its attempt reported its first progress (at step {resumedAt}) **{failover:F2} s** after the kill. The lease ({lease}) bounds the detection part: a dead replica's lease runs out between 0 and one lease after its last heartbeat.");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Load average before: {loadBefore}; after: {loadAfter} (shared machine, other work running).");
            context.WriteSection("Cluster scaling (PostgreSQL, replicas pinned to one core each)", text.ToString());
            return one.Failures + two.Failures + split.Failures == 0 ? 0 : 1;
        }
        finally
        {
            replicas.ForEach(r => r.Dispose());
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Left behind in /tmp; nothing depends on it.
            }
        }
    }

    private static async Task<ServerProcess> StartReplicaAsync(string root, string id, int core, string[] settings)
    {
        string data = Path.Combine(root, "replica-" + id);
        Directory.CreateDirectory(data);
        return await ServerProcess.StartAsync(data, [.. settings, "--replica-id", id], launcher: ["taskset", "-c", core.ToString(CultureInfo.InvariantCulture)]);
    }

    /// <summary>
    /// Starts a long training job, waits until it passed step 20 (so checkpoints exist), kills its replica with SIGKILL
    /// and watches from the other until the second attempt reports progress.
    /// </summary>
    private static async Task<(double Seconds, double Claimed, string From, string To, long ResumedAt)> MeasureFailoverAsync(List<ServerProcess> replicas, string both, CancellationToken cancellationToken)
    {
        using DiscoClient a = DiscoClient.Connect(new DiscoClientOptions { Address = replicas[0].Address });
        using DiscoClient b = DiscoClient.Connect(new DiscoClientOptions { Address = replicas[1].Address });
        Job job = await a.StartTrainingAsync(TrainingRequest("failover", epochs: 100_000, checkpointEvery: 5), cancellationToken);
        Job midway = await WatchUntilAsync(a, job.Id, j => j.Progress?.Step >= 20 && j.Attempts.Count == 1, cancellationToken);
        string from = midway.Attempts[0].Replica;
        int victim = from == "a" ? 0 : 1;
        DiscoClient survivor = victim == 0 ? b : a;

        var clock = Stopwatch.StartNew();
        replicas[victim].KillHard();
        double claimed = double.NaN;
        Job resumed = await WatchUntilAsync(survivor, job.Id, j =>
        {
            if (j.Attempt == 2 && double.IsNaN(claimed))
            {
                claimed = clock.Elapsed.TotalSeconds;
            }

            return j.Attempt == 2 && j.State == JobState.Running && j.Progress?.Step > 0;
        }, cancellationToken);
        double seconds = clock.Elapsed.TotalSeconds;
        await survivor.CancelJobAsync(job.Id, cancellationToken);
        return (seconds, claimed, from, resumed.Attempts[^1].Replica, resumed.Progress.Step);
    }

    private static async Task<Job> WatchUntilAsync(DiscoClient client, string jobId, Func<Job, bool> condition, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(10));
        await foreach (Job job in client.WatchJobAsync(jobId, deadline.Token))
        {
            if (condition(job))
            {
                return job;
            }

            if (DiscoClient.IsFinal(job.State))
            {
                throw new InvalidOperationException($"Job {jobId} ended {job.State}: {job.Error}");
            }
        }

        throw new InvalidOperationException($"The watch of job {jobId} ended early.");
    }

    private static StartTrainingRequest TrainingRequest(string name, int epochs, int checkpointEvery) => new()
    {
        ModelName = name,
        Datasets = { "field" },
        Task = TrainingTask.Segmentation,
        Model = new ModelConfig { Levels = 2, BaseChannels = 4, ClassNames = { "below", "above" } },
        HyperParameters = new HyperParameters { Epochs = epochs, BatchSize = 1, LearningRate = 0.01, Seed = 7, CheckpointEverySteps = checkpointEvery },
    };

    private static void Require(Job job, string what)
    {
        if (job.State != JobState.Succeeded)
        {
            throw new InvalidOperationException($"{what} ended {job.State}: {job.Error}");
        }
    }

    private static async Task PredictOnceAsync(DiscoClient client, string model, CancellationToken cancellationToken)
    {
        var request = new PredictRequest { Model = model, Dataset = "field", StreamTiles = true, Output = PredictionOutput.Values };
        bool summary = false;
        int tiles = 0;
        await foreach (PredictResponse message in client.PredictAsync(request, cancellationToken))
        {
            tiles += message.Tile is null ? 0 : 1;
            summary |= message.MessageCase == PredictResponse.MessageOneofCase.Summary;
        }

        if (!summary || tiles == 0)
        {
            throw new InvalidOperationException($"A prediction ended with {tiles} tiles and {(summary ? "a" : "no")} summary.");
        }
    }

    private static async Task<LoadResult> RunClientsAsync(Func<int, string> addressOf, string model, TimeSpan duration, CancellationToken cancellationToken)
    {
        var latencies = new List<double>();
        int failures = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
        {
            using DiscoClient client = DiscoClient.Connect(new DiscoClientOptions { Address = addressOf(i) });
            while (clock.Elapsed < duration)
            {
                var one = Stopwatch.StartNew();
                try
                {
                    await PredictOnceAsync(client, model, cancellationToken);
                    lock (latencies)
                    {
                        latencies.Add(one.Elapsed.TotalMilliseconds);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Interlocked.Increment(ref failures);
                    Console.Error.WriteLine("Prediction failed: " + e.Message.Split('\n')[0].Trim());
                }
            }
        }, cancellationToken)));

        // Requests in flight at the deadline finish and count, so the rate divides by the time until the last one ended.
        latencies.Sort();
        return new LoadResult(clock.Elapsed.TotalSeconds, latencies, failures);
    }

    /// <summary>The major version of the PostgreSQL binaries the fixture ran (/usr/lib/postgresql/&lt;major&gt;/bin).</summary>
    private static string PostgresMajor() =>
        PostgresServer.FindBinaries() is { } bin ? Path.GetFileName(Path.GetDirectoryName(bin)) ?? "?" : "?";

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

    private sealed record LoadResult(double Seconds, List<double> Latencies, int Failures)
    {
        public double Rate => Latencies.Count / Seconds;

        public double P(double p) =>
            Latencies.Count == 0 ? double.NaN : Latencies[Math.Min(Latencies.Count - 1, (int)Math.Ceiling(p * Latencies.Count) - 1)];

        public string Row(string replicas) =>
            string.Create(CultureInfo.InvariantCulture, $"| {replicas} | {Rate:F2} | {P(0.5):F0} | {P(0.99):F0} | {Latencies.Count} | {Failures} |");
    }
}
