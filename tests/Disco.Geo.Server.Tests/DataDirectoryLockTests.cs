using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests;

/// <summary>Two disco-server processes on one data directory: the second must leave the first one's state alone.</summary>
public sealed class DataDirectoryLockTests
{
    [Fact]
    public async Task A_second_server_on_a_data_directory_in_use_exits_with_a_clear_message_and_changes_nothing()
    {
        string data = Temp.Directory("locked-data");
        string files = Temp.Directory("locked-files");
        // The verify job reads 1 kB/s: it stays running for the whole test.
        using ServerProcess first = await ServerProcess.StartAsync(data, ["--Storage:VerifyBytesPerSecond=1000", "--Server:ShutdownDrain=00:00:00"]);
        try
        {
            using DiscoClient client = DiscoClient.Connect(new DiscoClientOptions { Address = first.Address, MaxAttempts = 1 });
            Dataset dataset = (await client.UploadFileAsync(Temp.File(files, "big.bin", 1_000_000, seed: 3))).Dataset;
            Job verify = await client.VerifyDatasetAsync(dataset.Id);
            await foreach (Job state in client.WatchJobAsync(verify.Id))
            {
                if (state.State == JobState.Running)
                {
                    break;
                }
            }

            // A temporary file the first server is "writing": a second server's start-up sweep would delete it.
            string inProgress = Path.Combine(data, "tmp", "in-progress.tmp");
            await File.WriteAllTextAsync(inProgress, "being written");

            (int? code, string output) = await ServerRun.UntilExitOrListeningAsync(null,
                "--listen", "127.0.0.1:0", "--http-listen", "off", "--data-dir", data, "--Logging:LogLevel:Default=Warning");
            Assert.True(code is not null and not 0, "the second server started on a data directory in use:\n" + output);
            Assert.Contains($"The data directory {Path.GetFullPath(data)} is in use by another disco-server", output, StringComparison.Ordinal);
            Assert.Contains("Nothing was changed", output, StringComparison.Ordinal);

            Job after = await client.GetJobAsync(verify.Id);
            Assert.Equal(JobState.Running, after.State);
            Assert.Equal(1, after.Attempt);
            Assert.True(File.Exists(inProgress), "the second server swept the first one's tmp/");
            Assert.True(File.Exists(Path.Combine(data, DataDirectory.LockFileName)));
        }
        finally
        {
            first.Dispose();
            Temp.Delete(data);
            Temp.Delete(files);
        }
    }
}
