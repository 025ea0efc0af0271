using System.Security.Cryptography;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Google.Protobuf;

namespace Disco.Geo.Server.Tests;

/// <summary>kill -9 of a real disco-server process while a job runs and an upload streams, then a restart.</summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task After_kill_9_and_restart_no_committed_data_is_lost_running_jobs_are_interrupted_and_everything_resumes()
    {
        string data = Temp.Directory("crash-data");
        string files = Temp.Directory("crash-files");
        int port = ServerProcess.FreePort();
        string[] settings = ["--Storage:VerifyBytesPerSecond=2000000", "--Server:ShutdownDrain=00:00:00"];
        ServerProcess server = await ServerProcess.StartAsync(port, data, settings);
        using DiscoClient client = DiscoClient.Connect(new DiscoClientOptions
        {
            Address = $"http://127.0.0.1:{port}",
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
                using var call = client.Datasets.UploadFile(client.CallOptions(null, cut.Token));
                await call.RequestStream.WriteAsync(new UploadFileRequest { Header = new UploadHeader { Name = "partial", SizeBytes = partial.Length, Sha256 = partialSha } });
                await call.RequestStream.WriteAsync(new UploadFileRequest { Chunk = new FileChunk { Offset = 0, Data = ByteString.CopyFrom(partial, 0, 524288) } });
                await WaitUntilAsync(async () => (await Status(client, "partial", partial.Length, partialSha)).CommittedBytes == 524288);
                cut.Cancel();
            }

            // A verify job that takes about 3 s at the configured read rate, followed by a watcher.
            Dataset big = (await client.UploadFileAsync(Temp.File(files, "big.bin", 6_000_000, seed: 9))).Dataset;
            Job verify = await client.VerifyDatasetAsync(big.Id);
            Task<List<Job>> watcher = Task.Run(async () =>
            {
                var seen = new List<Job>();
                await foreach (Job job in client.WatchJobAsync(verify.Id))
                {
                    seen.Add(job);
                }

                return seen;
            });
            await WaitUntilAsync(async () => (await client.GetJobAsync(verify.Id)).Progress?.Fraction > 0.1);

            // An upload that is streaming when the server dies (slowed down by its progress callback).
            string slowPath = Temp.File(files, "slow.bin", 8 * 1024 * 1024, seed: 10);
            var sent = new TaskCompletionSource();
            Task<UploadFileResponse> slow = client.UploadFileAsync(slowPath, "slow", new SyncProgress<TransferProgress>(p =>
            {
                if (p.Phase == TransferPhase.Transferring)
                {
                    if (p.Bytes >= 3 * 1024 * 1024)
                    {
                        sent.TrySetResult();
                    }

                    Thread.Sleep(60);
                }
            }));
            await sent.Task.WaitAsync(TimeSpan.FromSeconds(30));

            server.KillHard();
            server.Dispose();
            server = await ServerProcess.StartAsync(port, data, settings);

            // The streaming upload resumed by itself and the watcher re-attached and saw the interruption.
            UploadFileResponse resumed = await slow.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(slowPath))), resumed.Dataset.Blob.Sha256);
            List<Job> seen = await watcher.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(JobState.Interrupted, seen[^1].State);
            Assert.True(seen[^1].Resumable);

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
        }
    }

    private static Task<UploadStatus> Status(DiscoClient client, string name, long size, string sha256) =>
        client.Datasets.GetUploadStatusAsync(new GetUploadStatusRequest { Name = name, SizeBytes = size, Sha256 = sha256 }).ResponseAsync;

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (int i = 0; i < 400; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException("The condition never held.");
    }
}
