using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Postgres;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests.Storage.Backends;

/// <summary>
/// The stores of one server process on one backend, built the way the composition root builds them: SQLite and a
/// data directory, or PostgreSQL and a shared blob root (a "replica"; several replicas share one database and root).
/// </summary>
internal sealed class StoreSet : IAsyncDisposable
{
    private readonly Func<ValueTask> _dispose;

    private StoreSet(DataDirectory directory, ICatalog catalog, IBlobStore blobs, IUploadStore uploads, IJobStore jobs, Func<ValueTask> dispose)
    {
        Directory = directory;
        Catalog = catalog;
        Blobs = blobs;
        Uploads = uploads;
        Jobs = jobs;
        _dispose = dispose;
    }

    public DataDirectory Directory { get; }

    public ICatalog Catalog { get; }

    public IBlobStore Blobs { get; }

    public IUploadStore Uploads { get; }

    public IJobStore Jobs { get; }

    public static async Task<StoreSet> SqliteAsync(TimeProvider time)
    {
        string root = Temp.Directory("sqlite-stores");
        var directory = new DataDirectory(root);
        var database = new MetadataDatabase(directory);
        await database.InitializeAsync(CancellationToken.None);
        var blobs = new LocalBlobStore(directory, database);
        return new StoreSet(directory, new SqliteCatalog(database, blobs), blobs, new SqliteUploadStore(database, directory), new SqliteJobStore(database, time), () =>
        {
            directory.Dispose();
            Temp.Delete(root);
            return ValueTask.CompletedTask;
        });
    }

    /// <summary>A replica: its own data directory, the given database and shared blob root (which the caller deletes, as other replicas may share it).</summary>
    public static async Task<StoreSet> PostgresAsync(string connectionString, string sharedRoot, TimeProvider time, TimeSpan? grace = null, bool ownsSharedRoot = false)
    {
        string root = Temp.Directory("pg-replica");
        var directory = new DataDirectory(root, sharedRoot);
        var database = new PostgresDatabase(connectionString);
        await database.InitializeAsync(CancellationToken.None);
        var blobs = new SharedBlobStore(directory, database, grace ?? TimeSpan.FromHours(1));
        return new StoreSet(directory, new PostgresCatalog(database, blobs), blobs, new PostgresUploadStore(database, directory), new PostgresJobStore(database, time), async () =>
        {
            await database.DisposeAsync();
            directory.Dispose();
            Temp.Delete(root);
            if (ownsSharedRoot)
            {
                Temp.Delete(sharedRoot);
            }
        });
    }

    /// <summary>Writes a finished file under tmp/, as the server does before a commit.</summary>
    public string WriteTempFile(byte[] content)
    {
        string path = Directory.NewTempPath();
        File.WriteAllBytes(path, content);
        return path;
    }

    public ValueTask DisposeAsync() => _dispose();
}
