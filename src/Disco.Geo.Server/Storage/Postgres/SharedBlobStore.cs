using Disco.Geo.Server.Storage.Records;
using Npgsql;

namespace Disco.Geo.Server.Storage.Postgres;

/// <summary>
/// Content-addressed files on a blob root every replica mounts (<see cref="DataDirectory.SharedRoot"/>), with the
/// references kept in PostgreSQL. Same layout and write-then-rename as <see cref="LocalBlobStore"/>; what changes is
/// how a commit is kept safe from a delete or a garbage collection running on another replica.
/// </summary>
/// <remarks>
/// <para>
/// A commit first <em>pins</em> its hash (a <c>blob_pins</c> row, stamped with the database clock) and only then
/// places the file, inserts its record and drops the pin. Deleting a blob happens under a session advisory lock on
/// its hash and only when neither a record nor a pin refers to it; the pin is inserted under the same lock. So either
/// the delete runs first (and the commit then places the file again), or it sees the pin and keeps the file.
/// </para>
/// <para>
/// Two replicas committing the same content both stage a private copy under staging/ on the shared file system and
/// rename it into place; rename is atomic and the contents are equal, so either order leaves the complete file.
/// A pin left by a replica that died mid-commit expires after <see cref="_grace"/>, measured on the database clock
/// (replica clocks may disagree; the database has one), and garbage collection then removes what it protected.
/// </para>
/// </remarks>
internal sealed class SharedBlobStore : IBlobStore
{
    private readonly DataDirectory _directory;
    private readonly PostgresDatabase _database;
    private readonly TimeSpan _grace;

    public SharedBlobStore(DataDirectory directory, PostgresDatabase database, TimeSpan grace)
    {
        if (directory.SharedRoot is null)
        {
            throw new ArgumentException("A shared blob store needs a data directory with a shared root.", nameof(directory));
        }

        _directory = directory;
        _database = database;
        _grace = grace;
    }

    public string PathOf(string sha256) => Path.Combine(_directory.BlobRoot, sha256[..2], sha256);

    public bool Exists(string sha256) => File.Exists(PathOf(sha256));

    public FileStream OpenRead(string sha256) =>
        new(PathOf(sha256), new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.SequentialScan | FileOptions.Asynchronous });

    /// <inheritdoc/>
    public async Task<BlobRecord?> CommitAsync(
        string finishedPath, string? knownSha256, Func<BlobRecord, Task<bool>> insertRecord, CancellationToken cancellationToken)
    {
        var blob = new BlobRecord
        {
            Sha256 = knownSha256 ?? await FileHashes.Sha256Async(finishedPath, 0, cancellationToken),
            SizeBytes = new FileInfo(finishedPath).Length,
        };
        Guid pin = await PinAsync(blob.Sha256, cancellationToken);
        bool inserted;
        try
        {
            MoveIntoStore(finishedPath, blob.Sha256);
            inserted = await insertRecord(blob);
        }
        finally
        {
            await UnpinAsync(pin);
        }

        if (inserted)
        {
            return blob;
        }

        await WithBlobLockAsync(blob.Sha256, (connection, token) => DeleteIfUnreferencedAsync(connection, blob.Sha256, token), CancellationToken.None);
        return null;
    }

    /// <summary>Start-up sweep: expires pins older than the grace period, then removes staged files and blobs nothing refers to.</summary>
    public async Task<int> CollectGarbageAsync(CancellationToken cancellationToken)
    {
        // This replica's own tmp/ (the data directory's lock says no other process uses it).
        foreach (string file in Directory.EnumerateFiles(_directory.TempRoot))
        {
            File.Delete(file);
        }

        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using (var expire = new NpgsqlCommand("DELETE FROM blob_pins WHERE pinned_at < now() - @grace;", connection))
        {
            expire.Parameters.AddWithValue("grace", _grace);
            await expire.ExecuteNonQueryAsync(cancellationToken);
        }

        // A staged file is named <sha256>.<random>; its pin was written before it, so one without a pin is left over
        // from a commit that died (or finished: then the file is gone already).
        foreach (string file in Directory.EnumerateFiles(_directory.StagingRoot))
        {
            string sha256 = Path.GetFileName(file).Split('.')[0];
            if (!await IsPinnedAsync(connection, sha256, cancellationToken))
            {
                File.Delete(file);
            }
        }

        int removed = 0;
        foreach (string file in Directory.EnumerateFiles(_directory.BlobRoot, "*", SearchOption.AllDirectories))
        {
            string sha256 = Path.GetFileName(file);
            await LockAsync(connection, "pg_advisory_lock", sha256, cancellationToken);
            try
            {
                if (await DeleteIfUnreferencedAsync(connection, sha256, CancellationToken.None) > 0)
                {
                    removed++;
                }
            }
            finally
            {
                await LockAsync(connection, "pg_advisory_unlock", sha256, CancellationToken.None);
            }
        }

        return removed;
    }

    /// <summary>
    /// Runs <paramref name="action"/> on a connection holding the session advisory lock of <paramref name="sha256"/>:
    /// what a delete of a record plus its blob does, so no commit of the same content can pin it in between.
    /// </summary>
    public async Task<T> WithBlobLockAsync<T>(string sha256, Func<NpgsqlConnection, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await LockAsync(connection, "pg_advisory_lock", sha256, cancellationToken);
        try
        {
            return await action(connection, CancellationToken.None);
        }
        finally
        {
            await LockAsync(connection, "pg_advisory_unlock", sha256, CancellationToken.None);
        }
    }

    /// <summary>Removes the blob when no record and no commit in progress refers to it; the caller holds its lock. Returns the bytes freed.</summary>
    public async Task<long> DeleteIfUnreferencedAsync(NpgsqlConnection connection, string sha256, CancellationToken cancellationToken)
    {
        if (await IsReferencedAsync(connection, sha256, cancellationToken))
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
        return size;
    }

    private async Task<Guid> PinAsync(string sha256, CancellationToken cancellationToken)
    {
        var pin = Guid.NewGuid();
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The transaction-level lock conflicts with a delete's session-level lock on the same key: the pin waits for
        // a delete in progress to finish, and a later delete sees the pin.
        await LockAsync(connection, "pg_advisory_xact_lock", sha256, cancellationToken);
        await using (var command = new NpgsqlCommand("INSERT INTO blob_pins (pin, sha256) VALUES (@pin, @sha);", connection))
        {
            command.Parameters.AddWithValue("pin", pin);
            command.Parameters.AddWithValue("sha", sha256);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return pin;
    }

    private async Task UnpinAsync(Guid pin)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand("DELETE FROM blob_pins WHERE pin = @pin;", connection);
        command.Parameters.AddWithValue("pin", pin);
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }

    /// <summary>Moves a file whose hash is known into place through a private staged copy on the shared file system.</summary>
    private void MoveIntoStore(string finishedPath, string sha256)
    {
        string target = PathOf(sha256);
        if (File.Exists(target))
        {
            File.Delete(finishedPath);
            return;
        }

        // Within one file system this is a rename; from this replica's tmp/ to a mounted root it is a copy, which is
        // why the copy goes to a private staged name first and only a rename makes it visible.
        string staged = Path.Combine(_directory.StagingRoot, sha256 + "." + Guid.NewGuid().ToString("N"));
        File.Move(finishedPath, staged);
        using (var handle = File.OpenHandle(staged, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.FlushToDisk(handle);
        }

        string directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        File.Move(staged, target, overwrite: true);
        DataDirectory.FlushDirectory(directory);
    }

    private static async Task LockAsync(NpgsqlConnection connection, string function, string sha256, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {function}({PostgresDatabase.BlobLockClass}, hashtext(@sha));", connection);
        command.Parameters.AddWithValue("sha", sha256);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<bool> IsPinnedAsync(NpgsqlConnection connection, string sha256, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM blob_pins WHERE sha256 = @h);", connection);
        command.Parameters.AddWithValue("h", sha256);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    private static async Task<bool> IsReferencedAsync(NpgsqlConnection connection, string sha256, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT EXISTS (SELECT 1 FROM datasets WHERE blob_sha256 = @h)
                OR EXISTS (SELECT 1 FROM models WHERE blob_sha256 = @h)
                OR EXISTS (SELECT 1 FROM predictions WHERE blob_sha256 = @h)
                OR EXISTS (SELECT 1 FROM blob_pins WHERE sha256 = @h);
            """, connection);
        command.Parameters.AddWithValue("h", sha256);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}
