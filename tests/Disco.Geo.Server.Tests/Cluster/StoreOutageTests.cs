using System.Security.Cryptography;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Disco.Geo.Server.Tests.Storage.Backends;
using Grpc.Core;

namespace Disco.Geo.Server.Tests.Cluster;

/// <summary>
/// A real disco-server process in cluster mode losing one of its shared stores while it runs: its PostgreSQL stopped
/// (a cluster of the test's own, so the shared fixture keeps serving other tests), or its blob root moved away or
/// replaced by a file. Calls must answer UNAVAILABLE with a message that names the store and no path or connection
/// string, the process must keep running, and everything must work again, with nothing lost, once the store is back.
/// Every wait is on something a client observes (a job state, the server's own log line), never on a sleep.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class StoreOutageTests(PostgresFixture postgres)
{
    private static readonly TimeSpan TrainingGuard = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task With_postgres_stopped_calls_answer_unavailable_and_a_running_training_never_fails_and_finishes_once_it_is_back()
    {
        await using PostgresServer database = await PostgresServer.StartAsync();
        string connectionString = await database.CreateDatabaseAsync();
        string data = Temp.Directory("pg-outage-data");
        string blobRoot = Temp.Directory("pg-outage-blobs");
        string files = Temp.Directory("pg-outage-files");
        using ServerProcess server = await ServerProcess.StartAsync(data, [
            "--postgres", connectionString, "--blob-root", blobRoot, "--Server:ShutdownDrain=00:00:00", "--replica-id", "r1",
            "--Cluster:LeaseDuration=00:00:05", "--Cluster:HeartbeatInterval=00:00:01", "--Cluster:PollInterval=00:00:00.200"]);
        try
        {
            using DiscoClient once = DiscoClient.Connect(new DiscoClientOptions { Address = server.Address, MaxAttempts = 1, CallTimeout = TimeSpan.FromMinutes(3) });
            using DiscoClient retrying = DiscoClient.Connect(new DiscoClientOptions
            {
                Address = server.Address,
                MaxAttempts = 5,
                InitialBackoff = TimeSpan.FromMilliseconds(100),
                MaxBackoff = TimeSpan.FromSeconds(1),
            });
            Dataset dataset = await TinyTraining.IngestAsync(once, TinyTraining.WriteLabelledGeoTiff(Path.Combine(files, "w.tif")), "world", TinyTraining.Grid9);
            Job job = await once.StartTrainingAsync(OutlastingTraining("through-outage", dataset.Id));
            await TinyTraining.WaitUntilAsync(once, job.Id, j => j.State == JobState.Running && j.Progress?.Step >= 10, TrainingGuard);

            await database.StopAsync();
            foreach (Func<Task> call in new Func<Task>[]
            {
                () => once.ListDatasetsAsync().ToListAsync().AsTask(),
                // (GetJob of the job running here answers from the replica's own live state, so it is not in this list.)
                () => once.ListJobsAsync().ToListAsync().AsTask(),
                () => once.GetModelAsync("anything"),
            })
            {
                DiscoException e = await Assert.ThrowsAsync<DiscoException>(call);
                Assert.Equal(StatusCode.Unavailable, e.StatusCode);
                Assert.Contains("database cannot be reached", e.Message, StringComparison.Ordinal);
                Assert.DoesNotContain(database.Root, e.Message, StringComparison.Ordinal);
                Assert.DoesNotContain(data, e.Message, StringComparison.Ordinal);
                Assert.DoesNotContain("Host=", e.Message, StringComparison.OrdinalIgnoreCase);
            }

            // The running job noticed (the server logs each of these): a heartbeat could not renew its lease, it stopped
            // because a checkpoint or output could not be recorded, or its final state is waiting for the database.
            string[] noticed = ["Could not renew the lease on job " + job.Id, "Job " + job.Id + " (Training) stopped", "Could not record the final state of job " + job.Id];
            await Eventually.HoldsAsync(() => Task.FromResult(noticed.Any(n => server.Output.Contains(n, StringComparison.Ordinal))), "the job noticing the outage");
            Assert.False(server.HasExited, "the server stopped when its database did:\n" + server.Output);

            await database.StartAgainAsync();
            var states = new List<Job>();
            using (var deadline = new CancellationTokenSource(TrainingGuard))
            {
                await foreach (Job state in retrying.WatchJobAsync(job.Id, deadline.Token))
                {
                    states.Add(state);
                }
            }

            // The outage is not the job's failure: it finishes (resumed from a checkpoint if one could not be saved).
            Assert.DoesNotContain(states, s => s.State == JobState.Failed);
            Job final = states[^1];
            Assert.True(final.State == JobState.Succeeded, $"training ended {final.State}: {final.Error}\n{server.Output}");
            Assert.Equal(job.Id, (await retrying.GetModelAsync("through-outage")).JobId);
            Assert.Single(await retrying.ListModelsAsync().ToListAsync());
            Assert.Equal(["world-raw", "world"], (await retrying.ListDatasetsAsync().ToListAsync()).Select(d => d.Name));
        }
        finally
        {
            server.Dispose();
            Temp.Delete(data);
            Temp.Delete(blobRoot);
            Temp.Delete(files);
        }
    }

    [Fact]
    public async Task With_the_blob_root_moved_away_or_replaced_by_a_file_calls_answer_unavailable_nothing_half_written_shows_and_it_works_again_once_back()
    {
        string connectionString = await postgres.Server.CreateDatabaseAsync();
        string data = Temp.Directory("blob-outage-data");
        string parent = Temp.Directory("blob-outage-root");
        string blobRoot = Path.Combine(parent, "shared");
        string away = Path.Combine(parent, "moved");
        string files = Temp.Directory("blob-outage-files");
        Directory.CreateDirectory(blobRoot);
        using ServerProcess server = await ServerProcess.StartAsync(data, [
            "--postgres", connectionString, "--blob-root", blobRoot, "--Server:ShutdownDrain=00:00:00", "--replica-id", "r1"]);
        try
        {
            // A long call timeout: the first upload and ingest run on a shared, busy machine; the outage answers come at once.
            using DiscoClient client = DiscoClient.Connect(new DiscoClientOptions { Address = server.Address, MaxAttempts = 1, CallTimeout = TimeSpan.FromMinutes(3) });
            await TinyTraining.IngestAsync(client, TinyTraining.WriteLabelledGeoTiff(Path.Combine(files, "w.tif")), "world", TinyTraining.Grid9);
            // The upload the ingest read: a raw file, downloadable byte for byte.
            Dataset stored = await client.GetDatasetAsync("world-raw");
            byte[] before = await DownloadAsync(client, stored.Id);
            string upload = TinyTraining.WriteInputGeoTiff(Path.Combine(files, "later.tif"));

            async Task AssertUnavailableAsync(string how)
            {
                foreach (Func<Task> call in new Func<Task>[] { () => DownloadAsync(client, stored.Id), () => client.UploadFileAsync(upload, "later") })
                {
                    DiscoException e = await Assert.ThrowsAsync<DiscoException>(call);
                    Assert.True(e.StatusCode == StatusCode.Unavailable, $"{how}: {e.StatusCode} {e.Message}");
                    Assert.Contains("blob root", e.Message, StringComparison.Ordinal);
                    Assert.DoesNotContain(parent, e.Message, StringComparison.Ordinal);
                    Assert.DoesNotContain(data, e.Message, StringComparison.Ordinal);
                }

                Assert.False(server.HasExited, $"the server stopped ({how}):\n{server.Output}");
            }

            Directory.Move(blobRoot, away);
            await AssertUnavailableAsync("moved away");
            // Nothing planted an empty root where the real one belongs.
            Assert.False(Path.Exists(blobRoot), "a failed call recreated the blob root");

            await File.WriteAllTextAsync(blobRoot, "not a directory");
            await AssertUnavailableAsync("replaced by a file");
            File.Delete(blobRoot);

            Directory.Move(away, blobRoot);
            Assert.Equal(before, await DownloadAsync(client, stored.Id));
            UploadFileResponse uploaded = await client.UploadFileAsync(upload, "later");
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(upload))), uploaded.Dataset.Blob.Sha256);
            Assert.Equal(3, (await client.ListDatasetsAsync().ToListAsync()).Count);

            // Every visible blob is whole: its name (before any file-name extension an upload's readers get) is the hash of its content.
            foreach (string blob in Directory.EnumerateFiles(Path.Combine(blobRoot, "blobs", "sha256"), "*", SearchOption.AllDirectories))
            {
                Assert.Equal(Path.GetFileName(blob)[..64], Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(blob))));
            }
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException("Server output:\n" + server.Output, e);
        }
        finally
        {
            server.Dispose();
            Temp.Delete(data);
            Temp.Delete(parent);
            Temp.Delete(files);
        }
    }

    [Fact]
    public async Task With_the_blob_root_moved_away_under_a_running_training_the_job_is_handed_back_not_failed_and_finishes_once_the_root_is_back()
    {
        string connectionString = await postgres.Server.CreateDatabaseAsync();
        string data = Temp.Directory("blob-job-data");
        string parent = Temp.Directory("blob-job-root");
        string blobRoot = Path.Combine(parent, "shared");
        string away = Path.Combine(parent, "moved");
        string files = Temp.Directory("blob-job-files");
        Directory.CreateDirectory(blobRoot);
        using ServerProcess server = await ServerProcess.StartAsync(data, [
            "--postgres", connectionString, "--blob-root", blobRoot, "--Server:ShutdownDrain=00:00:00", "--replica-id", "r1",
            "--Cluster:LeaseDuration=00:00:05", "--Cluster:HeartbeatInterval=00:00:01", "--Cluster:PollInterval=00:00:00.200"]);
        try
        {
            using DiscoClient client = DiscoClient.Connect(new DiscoClientOptions { Address = server.Address, MaxAttempts = 1, CallTimeout = TimeSpan.FromMinutes(3) });
            Dataset dataset = await TinyTraining.IngestAsync(client, TinyTraining.WriteLabelledGeoTiff(Path.Combine(files, "w.tif")), "world", TinyTraining.Grid9);
            Job job = await client.StartTrainingAsync(OutlastingTraining("through-blob-outage", dataset.Id));
            await TinyTraining.WaitUntilAsync(client, job.Id, j => j.State == JobState.Running && j.Progress?.Step >= 10, TrainingGuard);

            Directory.Move(blobRoot, away);
            // The job notices when it next writes a checkpoint (or commits its model) on the root: it is handed back.
            string handedBack = "Job " + job.Id + " (Training) stopped: a shared store could not be reached";
            await Eventually.HoldsAsync(() => Task.FromResult(server.Output.Contains(handedBack, StringComparison.Ordinal)), "the job handed back");
            Job during = await client.GetJobAsync(job.Id);
            Assert.True(during.State == JobState.Running, $"the job is {during.State} while the blob root is away: {during.Error}");
            DiscoException e = await Assert.ThrowsAsync<DiscoException>(() => DownloadAsync(client, "world-raw"));
            Assert.Equal(StatusCode.Unavailable, e.StatusCode);
            Assert.Contains("blob root", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(parent, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(data, e.Message, StringComparison.Ordinal);
            Assert.False(server.HasExited, "the server stopped when its blob root went away:\n" + server.Output);
            // Taking it up again while the root is still away planted nothing where the real root belongs.
            Assert.False(Path.Exists(blobRoot), "the job recreated the blob root");

            Directory.Move(away, blobRoot);
            var states = new List<Job>();
            using (var deadline = new CancellationTokenSource(TrainingGuard))
            {
                await foreach (Job state in client.WatchJobAsync(job.Id, deadline.Token))
                {
                    states.Add(state);
                }
            }

            Assert.DoesNotContain(states, s => s.State == JobState.Failed);
            Job final = states[^1];
            Assert.True(final.State == JobState.Succeeded, $"training ended {final.State}: {final.Error}\n{server.Output}");
            Assert.True(final.Attempts.Count >= 2, "the job was not taken up again after the outage");
            Assert.Equal(job.Id, Assert.Single(await client.ListModelsAsync().ToListAsync()).JobId);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException("Server output:\n" + server.Output, e);
        }
        finally
        {
            server.Dispose();
            Temp.Delete(data);
            Temp.Delete(parent);
            Temp.Delete(files);
        }
    }

    // A training that is still running when the outage begins and ends once the store is back: bounded by 30 s of
    // training time, not by epochs, since 40 epochs of this tiny model could end before the database had stopped or the
    // blob root had moved (the job then never met the outage, and the test waited in vain for it to notice).
    private static StartTrainingRequest OutlastingTraining(string modelName, string dataset)
    {
        StartTrainingRequest request = TinyTraining.Request(modelName, [dataset], epochs: 1_000_000, checkpointEvery: 5);
        request.HyperParameters.TimeLimitSeconds = 30;
        return request;
    }

    private static async Task<byte[]> DownloadAsync(DiscoClient client, string dataset)
    {
        using var bytes = new MemoryStream();
        await client.DownloadDatasetAsync(dataset, bytes);
        return bytes.ToArray();
    }
}
