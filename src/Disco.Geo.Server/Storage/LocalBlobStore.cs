using Disco.Geo.Server.Storage.Records;
using Microsoft.Data.Sqlite;

namespace Disco.Geo.Server.Storage;

/// <summary>
/// Content-addressed files: a blob lives at blobs/sha256/&lt;first two hex digits&gt;/&lt;sha256&gt; and is never
/// modified. Files are written under tmp/, flushed, then renamed into place, so a blob path either does not exist or
/// holds the complete content. Records refer to blobs by hash; a blob no record refers to is removed on delete and at
/// start (after a crash between writing a blob and committing its record).
/// </summary>
/// <remarks>
/// Whether a blob is referenced is read from the SQLite catalog's tables: the local directory and the SQLite catalog
/// come as a pair today. A shared blob root next to a PostgreSQL catalog implements <see cref="IBlobStore"/> with the
/// reference check asked of that catalog.
/// </remarks>
internal sealed class LocalBlobStore : IBlobStore
{
    private readonly DataDirectory _directory;
    private readonly MetadataDatabase _database;

    public LocalBlobStore(DataDirectory directory, MetadataDatabase database)
    {
        _directory = directory;
        _database = database;
    }

    /// <summary>
    /// Serialises committing a blob plus its record against deleting a record plus its now unreferenced blob, so a
    /// delete never removes a file that a concurrent commit has just started to refer to.
    /// </summary>
    public SemaphoreSlim ReferenceGate { get; } = new(1, 1);

    public string PathOf(string sha256) => Path.Combine(_directory.BlobRoot, sha256[..2], sha256);

    public bool Exists(string sha256) => File.Exists(PathOf(sha256));

    /// <inheritdoc/>
    /// <remarks>The move and the insert happen under <see cref="ReferenceGate"/>; once it is held nothing is cancelled.</remarks>
    public async Task<BlobRecord?> CommitAsync(
        string finishedPath, string? knownSha256, Func<BlobRecord, Task<bool>> insertRecord, CancellationToken cancellationToken)
    {
        var blob = new BlobRecord
        {
            Sha256 = knownSha256 ?? await FileHashes.Sha256Async(finishedPath, 0, cancellationToken),
            SizeBytes = new FileInfo(finishedPath).Length,
        };
        await ReferenceGate.WaitAsync(cancellationToken);
        try
        {
            MoveIntoStore(finishedPath, blob.Sha256);
            if (await insertRecord(blob))
            {
                return blob;
            }

            await using SqliteConnection connection = await _database.OpenAsync(CancellationToken.None);
            await DeleteIfUnreferencedAsync(connection, blob.Sha256, CancellationToken.None);
            return null;
        }
        finally
        {
            ReferenceGate.Release();
        }
    }

    /// <summary>Moves a file whose hash is known into place; the caller holds <see cref="ReferenceGate"/>.</summary>
    private void MoveIntoStore(string finishedPath, string sha256)
    {
        string target = PathOf(sha256);
        if (File.Exists(target))
        {
            File.Delete(finishedPath);
            return;
        }

        string directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        using (var handle = File.OpenHandle(finishedPath, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.FlushToDisk(handle);
        }

        File.Move(finishedPath, target, overwrite: true);
        DataDirectory.FlushDirectory(directory);
    }

    public FileStream OpenRead(string sha256) =>
        new(PathOf(sha256), new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.SequentialScan | FileOptions.Asynchronous });

    /// <summary>Removes the blob when no dataset, model or prediction refers to it. Returns the bytes freed.</summary>
    public async Task<long> DeleteIfUnreferencedAsync(SqliteConnection connection, string? sha256, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(sha256) || await IsReferencedAsync(connection, sha256, cancellationToken))
        {
            return 0;
        }

        string path = PathOf(sha256);
        if (!File.Exists(path))
        {
            return 0;
        }

        long size = new FileInfo(path).Length;
        File.Delete(path);

        // The links that hand the blob to GDAL under its upload's extension ("<hash>.nc", see UploadFileNames).
        foreach (string link in Directory.EnumerateFiles(Path.GetDirectoryName(path)!, sha256 + ".*"))
        {
            File.Delete(link);
        }

        return size;
    }

    /// <summary>Start-up sweep: removes blobs nothing refers to and empties tmp/.</summary>
    public async Task<int> CollectGarbageAsync(CancellationToken cancellationToken)
    {
        foreach (string file in Directory.EnumerateFiles(_directory.TempRoot))
        {
            File.Delete(file);
        }

        int removed = 0;
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        foreach (string file in Directory.EnumerateFiles(_directory.BlobRoot, "*", SearchOption.AllDirectories))
        {
            string sha256 = Path.GetFileName(file);
            if (!await IsReferencedAsync(connection, sha256, cancellationToken))
            {
                File.Delete(file);
                removed++;
            }
        }

        return removed;
    }

    private static async Task<bool> IsReferencedAsync(SqliteConnection connection, string sha256, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = """
            SELECT EXISTS(SELECT 1 FROM datasets WHERE blob_sha256 = $h)
                OR EXISTS(SELECT 1 FROM models WHERE blob_sha256 = $h)
                OR EXISTS(SELECT 1 FROM predictions WHERE blob_sha256 = $h);
            """;
        command.Parameters.AddWithValue("$h", sha256);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) != 0;
    }
}
