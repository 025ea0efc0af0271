using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Disco.Geo.Server.Tests.Storage.Backends;
using Npgsql;

namespace Disco.Geo.Server.Tests.Cluster;

/// <summary>
/// A real disco-server process in cluster mode (--postgres on a real PostgreSQL, --blob-root on a shared directory),
/// driven over gRPC, and the settings it refuses at start.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterModeServerTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_server_on_postgres_and_a_blob_root_uploads_ingests_and_lists_with_everything_kept_in_the_shared_stores()
    {
        string connectionString = await postgres.Server.CreateDatabaseAsync();
        string data = Temp.Directory("cluster-data");
        string blobRoot = Temp.Directory("cluster-blobs");
        string files = Temp.Directory("cluster-files");
        using ServerProcess server = await ServerProcess.StartAsync(data, ["--postgres", connectionString, "--blob-root", blobRoot, "--Server:ShutdownDrain=00:00:00"]);
        try
        {
            using DiscoClient client = DiscoClient.Connect(new DiscoClientOptions { Address = server.Address, MaxAttempts = 1 });
            string tiff = TinyTraining.WriteLabelledGeoTiff(Path.Combine(files, "labelled.tif"));

            Dataset gridded = await TinyTraining.IngestAsync(client, tiff, "labelled", TinyTraining.Grid9);

            var names = new List<string>();
            await foreach (Dataset dataset in client.ListDatasetsAsync())
            {
                names.Add(dataset.Name);
            }

            Assert.Equal(["labelled-raw", "labelled"], names);
            // The blobs are on the shared root, the records in PostgreSQL, and the data directory holds no database.
            Assert.True(File.Exists(Path.Combine(blobRoot, "blobs", "sha256", gridded.Blob.Sha256[..2], gridded.Blob.Sha256)));
            Assert.False(File.Exists(Path.Combine(data, "disco.db")));
            Assert.False(Directory.Exists(Path.Combine(data, "blobs")));
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM datasets;", connection);
            Assert.Equal(2L, await command.ExecuteScalarAsync());
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException("Server output:\n" + server.Output, e);
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
    public async Task A_second_process_under_a_live_replicas_id_on_the_same_blob_root_refuses_to_start()
    {
        string connectionString = await postgres.Server.CreateDatabaseAsync();
        string blobRoot = Temp.Directory("same-id-blobs");
        string[] data = [Temp.Directory("same-id-a"), Temp.Directory("same-id-b")];
        string[] settings = ["--postgres", connectionString, "--blob-root", blobRoot, "--Server:ShutdownDrain=00:00:00", "--replica-id", "same"];
        try
        {
            using ServerProcess first = await ServerProcess.StartAsync(data[0], settings);
            InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync(data[1], settings));
            Assert.Contains("already runs as replica 'same'", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Temp.Delete(blobRoot);
            Array.ForEach(data, Temp.Delete);
        }
    }

    [Fact]
    public async Task Two_replicas_on_one_database_and_blob_root_serve_one_catalog()
    {
        string connectionString = await postgres.Server.CreateDatabaseAsync();
        string blobRoot = Temp.Directory("replicas-blobs");
        string files = Temp.Directory("replicas-files");
        string[] data = [Temp.Directory("replica-a"), Temp.Directory("replica-b")];
        string[] settings = ["--postgres", connectionString, "--blob-root", blobRoot, "--Server:ShutdownDrain=00:00:00"];
        // Started one after the other, as a rolling deployment would; the migration race has its own test.
        // Each replica under its own id: one live process per id on a shared root (ReplicaIdentityLock).
        using ServerProcess first = await ServerProcess.StartAsync(data[0], [.. settings, "--replica-id", "replica-1"]);
        using ServerProcess second = await ServerProcess.StartAsync(data[1], [.. settings, "--replica-id", "replica-2"]);
        try
        {
            using DiscoClient a = DiscoClient.Connect(new DiscoClientOptions { Address = first.Address, MaxAttempts = 1 });
            using DiscoClient b = DiscoClient.Connect(new DiscoClientOptions { Address = second.Address, MaxAttempts = 1 });
            string path = Temp.File(files, "scene.bin", 300_000, seed: 5);

            Dataset uploaded = (await a.UploadFileAsync(path)).Dataset;

            Dataset seen = await b.GetDatasetAsync(uploaded.Id);
            Assert.Equal(uploaded.Blob.Sha256, seen.Blob.Sha256);
            using var copy = new MemoryStream();
            await b.DownloadDatasetAsync(uploaded.Id, copy);
            Assert.Equal(await File.ReadAllBytesAsync(path), copy.ToArray());
            // Deleted through the other replica: record and blob go for both.
            await b.DeleteDatasetAsync(uploaded.Id);
            await Expect.StatusAsync(Grpc.Core.StatusCode.NotFound, () => a.GetDatasetAsync(uploaded.Id));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(blobRoot, "blobs"), "*", SearchOption.AllDirectories));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException("Server output:\n" + first.Output + "\n---\n" + second.Output, e);
        }
        finally
        {
            first.Dispose();
            second.Dispose();
            Temp.Delete(blobRoot);
            Temp.Delete(files);
            Array.ForEach(data, Temp.Delete);
        }
    }

    [Theory]
    [InlineData("--blob-root", "needs Storage:PostgreSql (--postgres) too")]
    [InlineData("--postgres", "needs Storage:BlobRoot (--blob-root)")]
    [InlineData("--postgres-bad", "is not an Npgsql connection string")]
    [InlineData("--blob-root-missing", "does not exist")]
    [InlineData("--heartbeat-too-slow", "must be at most half of Cluster:LeaseDuration")]
    [InlineData("--lease-zero", "must be positive")]
    public async Task Incomplete_or_bad_cluster_settings_are_refused_at_start_with_a_clear_message(string setting, string message)
    {
        string data = Temp.Directory("cluster-refused");
        string missing = Path.Combine(data, "not-mounted");
        string[] arguments = setting switch
        {
            "--blob-root" => ["--blob-root", data],
            "--postgres" => ["--postgres", "Host=/nowhere;Database=disco"],
            "--postgres-bad" => ["--postgres", "Host=db;Frobnicate=1", "--blob-root", data],
            "--heartbeat-too-slow" => ["--Cluster:LeaseDuration=00:00:10", "--Cluster:HeartbeatInterval=00:00:06"],
            "--lease-zero" => ["--Cluster:LeaseDuration=00:00:00"],
            _ => ["--postgres", "Host=/nowhere;Database=disco", "--blob-root", missing],
        };
        try
        {
            (int? code, string output) = await ServerRun.UntilExitOrListeningAsync(null,
                ["--listen", "127.0.0.1:0", "--http-listen", "off", "--data-dir", data, .. arguments]);

            Assert.True(code == 2, $"exit code {code}:\n{output}");
            Assert.Contains(message, output, StringComparison.Ordinal);
            Assert.False(Directory.Exists(missing));
        }
        finally
        {
            Temp.Delete(data);
        }
    }

    [Fact]
    public async Task The_connection_string_can_come_from_the_environment()
    {
        string data = Temp.Directory("cluster-env");
        try
        {
            (int? code, string output) = await ServerRun.UntilExitOrListeningAsync(
                new Dictionary<string, string> { ["DISCO_STORAGE__POSTGRESQL"] = "Host=/nowhere;Database=disco" },
                "--listen", "127.0.0.1:0", "--http-listen", "off", "--data-dir", data);

            Assert.True(code == 2, $"exit code {code}:\n{output}");
            Assert.Contains("needs Storage:BlobRoot (--blob-root)", output, StringComparison.Ordinal);
        }
        finally
        {
            Temp.Delete(data);
        }
    }
}
