using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Client;
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
        var total = Stopwatch.StartNew();
        bool quick = context.Quick;
        int nlat = int.Parse(context.Option("nlat", "46"), CultureInfo.InvariantCulture);
        int nlon = int.Parse(context.Option("nlon", "90"), CultureInfo.InvariantCulture);
        // The whole run stays within 5 minutes: three measured phases, each after a warm-up on the same clients.
        TimeSpan phase = TimeSpan.FromSeconds(int.Parse(context.Option("seconds", quick ? "10" : "30"), CultureInfo.InvariantCulture));
        TimeSpan warmUp = TimeSpan.FromSeconds(int.Parse(context.Option("warmup", quick ? "4" : "8"), CultureInfo.InvariantCulture));
        string lease = context.Option("lease", "00:00:05");
        int cores = Environment.ProcessorCount;
        if (cores < 2)
        {
            Console.Error.WriteLine("cluster-scaling needs two cores to pin two replicas.");
            return 1;
        }

        // Replica a runs on core 0, replica b on core 1. The clients (this process) and PostgreSQL (its child, which
        // inherits the mask) belong on the other cores; on a 2-core machine there are none, and they share the
        // replicas' cores, which caps the ratio well below 2x whatever the server does.
        string placement;
        if (cores >= 3)
        {
            // Every thread of this process (-a): setting the process's affinity from .NET pins only its main thread on
            // Linux. Threads started later inherit the mask of the thread that starts them.
            using (Process pin = Process.Start(new ProcessStartInfo("taskset", ["-a", "-c", "-p", $"2-{cores - 1}", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true })!)
            {
                await pin.StandardOutput.ReadToEndAsync(cancellationToken);
                await pin.WaitForExitAsync(cancellationToken);
            }

            placement = $"clients and PostgreSQL pinned to cores 2-{cores - 1}";
        }
        else
        {
            placement = "only 2 cores: the clients and PostgreSQL share the replicas' two cores (the ratio cannot reach 2x here)";
            Console.Error.WriteLine("Warning: " + placement);
        }

        string root = Path.Combine(Path.GetTempPath(), "disco-bench-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        string blobRoot = Path.Combine(root, "blobs");
        Directory.CreateDirectory(blobRoot);
        string loadBefore = PredictionLoad.LoadAverage();
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
            var grid = new Grid { Kind = GridKind.Equiangular, Nlat = nlat, Nlon = nlon, LonOriginDegrees = -180 };
            await PredictionLoad.IngestFieldAsync(admin, root, 360, 180, grid, cancellationToken);
            Job first = await admin.WaitForJobAsync((await admin.StartTrainingAsync(PredictionLoad.TrainingRequest("cluster-model", epochs: 2, seed: 7, checkpointEvery: 0), cancellationToken)).Id, null, cancellationToken);
            PredictionLoad.Require(first, "training the model");
            string model = first.Result.ModelId;
            Console.WriteLine($"Ingested {nlat} x {nlon} and trained the model on replica a ({total.Elapsed.TotalSeconds:F0} s)");

            await PredictionLoad.WarmUpAsync(replicas[0].Address, Clients, 4, model, cancellationToken);
            (LoadResult one, _) = await MeasureAsync(replicas, _ => replicas[0].Address, model, warmUp, phase, cancellationToken);
            Console.WriteLine($"1 replica: {one.Rate:F2} predictions/s, p50 {one.P(0.5):F0} ms, p99 {one.P(0.99):F0} ms, {one.Failures} failed");

            replicas.Add(await StartReplicaAsync(root, "b", 1, settings));
            // The new replica is cold: it gets the same warm-up by count as replica a had before its phase.
            await PredictionLoad.WarmUpAsync(replicas[1].Address, Clients, 4, model, cancellationToken);
            string both = replicas[0].Address + "," + replicas[1].Address;
            (LoadResult two, string twoSpread) = await MeasureAsync(replicas, _ => both, model, warmUp, phase, cancellationToken);
            Console.WriteLine($"2 replicas, round robin: {two.Rate:F2} predictions/s, p50 {two.P(0.5):F0} ms, p99 {two.P(0.99):F0} ms, {two.Failures} failed; served {twoSpread}");
            // The same two replicas with each client given one of them (half each): separates the cost of the
            // client-side balancing from what the second replica adds.
            (LoadResult split, string splitSpread) = await MeasureAsync(replicas, i => replicas[i % 2].Address, model, warmUp, phase, cancellationToken);
            Console.WriteLine($"2 replicas, clients split: {split.Rate:F2} predictions/s, p50 {split.P(0.5):F0} ms, p99 {split.P(0.99):F0} ms, {split.Failures} failed; served {splitSpread}");

            (double failover, double detect, string from, string to, long resumedAt) = await MeasureFailoverAsync(replicas, cancellationToken);
            Console.WriteLine($"Failover: {failover:F2} s from kill -9 of {from} to the first progress (step {resumedAt}) of the attempt {to} resumed (claimed after {detect:F2} s)");
            Console.WriteLine($"Scaling ratio (2 replicas / 1 replica): {two.Rate / one.Rate:F2}x round robin, {split.Rate / one.Rate:F2}x clients split; whole run {total.Elapsed.TotalSeconds:F0} s");

            string loadAfter = PredictionLoad.LoadAverage();
            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"Setup: PostgreSQL {PostgresMajor()} (throw-away cluster on a Unix socket), one blob root on the local disk, disco-server replicas as child processes (`dotnet disco-server.dll --postgres … --blob-root … --replica-id a|b`), replica a pinned with `taskset -c 0`, replica b with `taskset -c 1`, {placement}. `--Jobs:Concurrency:cpu={Clients}`, lease {lease}, heartbeat 1 s, poll 250 ms.");
            text.AppendLine(CultureInfo.InvariantCulture, $"Load: {Clients} clients in the benchmark process, each its own `DiscoClient`, calling Predict (values, stream_tiles) back to back on an equiangular {nlat} x {nlon} dataset with a 2-level, 4-channel DISCO U-Net: 4 predictions per client on each replica as it joins, then {warmUp.TotalSeconds:F0} s of warm-up on the measuring clients (connections, the balancer's subchannels), then {phase.TotalSeconds:F0} s measured. With two replicas each client is given both addresses (`a,b`) and its calls go round robin, or half the clients are given a and half b.");
            text.AppendLine();
            text.AppendLine("| Replicas | Predictions/s | p50 ms | p99 ms | Requests | Failed | Served by a / b |");
            text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
            text.AppendLine(Row("1", one, "all / -"));
            text.AppendLine(Row("2, every client given both addresses (round robin)", two, twoSpread));
            text.AppendLine(Row("2, half the clients given a, half b", split, splitSpread));
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Scaling ratio (2 replicas / 1 replica): **{two.Rate / one.Rate:F2}x** with round robin, {split.Rate / one.Rate:F2}x with the clients split.");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Training failover: kill -9 of replica {from} while it trained (after step 20, checkpoints every 5 steps) → replica {to} claimed the job after {detect:F2} s and its attempt reported its first progress (at step {resumedAt}) **{failover:F2} s** after the kill. The lease ({lease}) bounds the detection part: a dead replica's lease runs out between 0 and one lease after its last heartbeat.");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Whole run {total.Elapsed.TotalSeconds:F0} s. Load average before: {loadBefore}; after: {loadAfter}.");
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

    /// <summary>One load phase, and how many of its predictions each replica ran (from their /metrics).</summary>
    private static async Task<(LoadResult Result, string Spread)> MeasureAsync(
        List<ServerProcess> replicas, Func<int, string> addressOf, string model, TimeSpan warmUp, TimeSpan phase, CancellationToken cancellationToken)
    {
        long[] before = await Task.WhenAll(replicas.Select(r => PredictionLoad.PredictionsServedAsync(r.Address, cancellationToken)));
        LoadResult result = await PredictionLoad.RunClientsAsync(addressOf, Clients, model, warmUp, phase, cancellationToken);
        long[] after = await Task.WhenAll(replicas.Select(r => PredictionLoad.PredictionsServedAsync(r.Address, cancellationToken)));
        // Warm-up included: the counts show the spread, the rate comes from the measured part.
        string spread = string.Join(" / ", before.Zip(after, (b, a) => b < 0 || a < 0 ? "?" : (a - b).ToString(CultureInfo.InvariantCulture)));
        return (result, spread);
    }

    private static string Row(string replicas, LoadResult result, string spread) =>
        string.Create(CultureInfo.InvariantCulture, $"| {replicas} | {result.Rate:F2} | {result.P(0.5):F0} | {result.P(0.99):F0} | {result.Requests} | {result.Failures} | {spread} |");

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
    private static async Task<(double Seconds, double Claimed, string From, string To, long ResumedAt)> MeasureFailoverAsync(List<ServerProcess> replicas, CancellationToken cancellationToken)
    {
        using DiscoClient a = DiscoClient.Connect(new DiscoClientOptions { Address = replicas[0].Address });
        using DiscoClient b = DiscoClient.Connect(new DiscoClientOptions { Address = replicas[1].Address });
        Job job = await a.StartTrainingAsync(PredictionLoad.TrainingRequest("failover", epochs: 100_000, seed: 7, checkpointEvery: 5), cancellationToken);
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

    /// <summary>The major version of the PostgreSQL binaries the fixture ran (/usr/lib/postgresql/&lt;major&gt;/bin).</summary>
    private static string PostgresMajor() =>
        PostgresServer.FindBinaries() is { } bin ? Path.GetFileName(Path.GetDirectoryName(bin)) ?? "?" : "?";
}
