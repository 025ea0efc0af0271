using System.Security.Cryptography;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Google.Protobuf;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// kill -9 of a real disco-server process while a job runs and an upload streams, then a restart. Nothing here races
/// a clock: the verify job is throttled so that it cannot end before the kill, and the upload is held mid-stream by its
/// own progress callback until the server is dead. Run on SQLite in the data directory and in cluster mode (a real
/// PostgreSQL and a blob root, the restarted process under the same replica id); there the interrupted job is not left
/// for ResumeJob but taken over by the restarted replica once the dead process's lease (3 s here) has run out.
/// </summary>
[Collection(Lifecycle.Collection)]
public sealed class CrashRecoveryTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task After_kill_9_and_restart_no_committed_data_is_lost_running_jobs_are_interrupted_and_everything_resumes(bool cluster)
    {
        string data = Temp.Directory("crash-data");
        string files = Temp.Directory("crash-files");
        string blobRoot = Temp.Directory("crash-blobs");
        await using PostgresServer? postgres = cluster ? await PostgresServer.StartAsync() : null;
        string[] storage = postgres is null ? [] :
        [
            "--postgres", await postgres.CreateDatabaseAsync(), "--blob-root", blobRoot, "--replica-id", "crash",
            "--Cluster:LeaseDuration=00:00:03", "--Cluster:HeartbeatInterval=00:00:01", "--Cluster:PollInterval=00:00:00.200",
        ];
        // One byte per second: the verify job below is still hashing its first MiB when the server is killed, however
        // slow the machine. The restarted server has no throttle, so the resumed job finishes at once.
        string[] throttled = ["--Storage:VerifyBytesPerSecond=1", "--Server:ShutdownDrain=00:00:00", .. storage];
        string[] settings = ["--Server:ShutdownDrain=00:00:00", .. storage];
        ServerProcess server = await ServerProcess.StartAsync(data, throttled);
        using DiscoClient client = DiscoClient.Connect(new DiscoClientOptions
        {
            Address = server.Address,
            MaxAttempts = 40,
            InitialBackoff = TimeSpan.FromMilliseconds(200),
            MaxBackoff = TimeSpan.FromSeconds(1),
        });
        try
        {
            // Committed before the crash: three uploads and a model.
            var committed = new List<Dataset>();
            for (int i = 0; i < 3; i++)
            {
                committed.Add((await client.UploadFileAsync(Temp.File(files, $"kept{i}.bin", 200_000, seed: i))).Dataset);
            }

            Model model = await client.ImportModelAsync(Packages.Write(files, "kept.discomodel", baseChannels: 16, seed: 7));

            // A half-sent upload from a client that went away: 512 KiB committed.
            byte[] partial = new byte[1_500_000];
            new Random(8).NextBytes(partial);
            string partialSha = Convert.ToHexStringLower(SHA256.HashData(partial));
            using (var cut = new CancellationTokenSource())
            {
                using var call = client.Stubs.Datasets.UploadFile(client.CallOptions(null, cut.Token));
                await call.RequestStream.WriteAsync(new UploadFileRequest { Header = new UploadHeader { Name = "partial", SizeBytes = partial.Length, Sha256 = partialSha } });
                await call.RequestStream.WriteAsync(new UploadFileRequest { Chunk = new FileChunk { Offset = 0, Data = ByteString.CopyFrom(partial, 0, 524288) } });
                await Eventually.HoldsAsync(async () => (await Status(client, "partial", partial.Length, partialSha)).CommittedBytes == 524288, "the partial upload's commit");
                cut.Cancel();
            }

            // A verify job that runs until the kill, followed by a watcher that says when it is running.
            Dataset big = (await client.UploadFileAsync(Temp.File(files, "big.bin", 6_000_000, seed: 9))).Dataset;
            Job verify = await client.VerifyDatasetAsync(big.Id);
            var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<List<Job>> watcher = Task.Run(async () =>
            {
                var seen = new List<Job>();
                await foreach (Job job in client.WatchJobAsync(verify.Id))
                {
                    seen.Add(job);
                    if (job.State == JobState.Running)
                    {
                        running.TrySetResult();
                    }
                }

                return seen;
            });
            await running.Task.WaitAsync(Eventually.Guard);

            // An upload that is streaming when the server dies: past 3 MiB its progress callback (called in the send
            // loop) holds it until the server has been killed and restarted, then it carries on into the broken stream.
            string slowPath = Temp.File(files, "slow.bin", 8 * 1024 * 1024, seed: 10);
            var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<UploadFileResponse> slow = client.UploadFileAsync(slowPath, "slow", new SyncProgress<TransferProgress>(p =>
            {
                if (p.Phase == TransferPhase.Transferring && p.Bytes >= 3 * 1024 * 1024 && sent.TrySetResult())
                {
                    restarted.Task.Wait();
                }
            }));
            await sent.Task.WaitAsync(Eventually.Guard);

            server.KillHard();
            server.Dispose();
            // The clients know this address, so the new server takes the port the killed one held.
            server = await server.RestartOnSamePortAsync(data, settings);
            restarted.SetResult();

            // The streaming upload resumed by itself and the watcher re-attached and saw the interruption.
            UploadFileResponse resumed = await slow.WaitAsync(Eventually.Guard);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(slowPath))), resumed.Dataset.Blob.Sha256);
            if (cluster)
            {
                // The restarted replica takes the job over when the dead process's lease expires: the watcher,
                // re-attached, follows it to the end of its second attempt.
                List<Job> followed = await watcher.WaitAsync(Eventually.Guard);
                Assert.Equal((JobState.Succeeded, 2), (followed[^1].State, followed[^1].Attempt));
                Assert.Equal(["crash", "crash"], followed[^1].Attempts.Select(a => a.Replica));
            }
            else
            {
                List<Job> seen = await watcher.WaitAsync(Eventually.Guard);
                Assert.Equal(JobState.Interrupted, seen[^1].State);
                Assert.True(seen[^1].Resumable);
            }

            // Nothing committed was lost.
            var names = new List<string>();
            await foreach (Dataset dataset in client.ListDatasetsAsync())
            {
                names.Add(dataset.Name);
            }

            Assert.Equal(["kept0", "kept1", "kept2", "big", "slow"], names);
            foreach (Dataset dataset in committed)
            {
                using var copy = new MemoryStream();
                await client.DownloadDatasetAsync(dataset.Id, copy);
                Assert.Equal(dataset.Blob.Sha256, Convert.ToHexStringLower(SHA256.HashData(copy.ToArray())));
            }

            Assert.Equal(model.Blob.Sha256, (await client.GetModelAsync(model.Id)).Blob.Sha256);
            Assert.Equal(524288, (await Status(client, "partial", partial.Length, partialSha)).CommittedBytes);
            if (cluster)
            {
                return;
            }

            Assert.Equal(JobState.Interrupted, (await client.GetJobAsync(verify.Id)).State);

            // The interrupted job resumes and finishes.
            await client.ResumeJobAsync(verify.Id);
            Job final = await client.WaitForJobAsync(verify.Id);
            Assert.Equal(JobState.Succeeded, final.State);
            Assert.Equal(2, final.Attempt);
        }
        finally
        {
            server.Dispose();
            Temp.Delete(data);
            Temp.Delete(files);
            Temp.Delete(blobRoot);
        }
    }

    private static Task<UploadStatus> Status(DiscoClient client, string name, long size, string sha256) =>
        client.Stubs.Datasets.GetUploadStatusAsync(new GetUploadStatusRequest { Name = name, SizeBytes = size, Sha256 = sha256 }).ResponseAsync;
}
