using Disco.Geo.Server.Storage.Records;
using Google.Protobuf;
using Npgsql;

namespace Disco.Geo.Server.Storage.Postgres;

/// <summary>
/// Unfinished uploads in PostgreSQL, with their part files under the shared root (<see cref="DataDirectory.UploadRoot"/>),
/// so a client whose stream broke resumes through any replica.
/// </summary>
/// <remarks>
/// One stream per upload across the cluster: a claim is <c>pg_try_advisory_lock(<see cref="PostgresDatabase.UploadLockClass"/>,
/// hashtext(id))</c> on a connection held for as long as the stream writes. The lock belongs to that database session,
/// so a replica that dies (or loses its connection) frees it without any timeout. Two ids with the same 32-bit hash
/// share a lock: the second stream is then told to retry, never allowed to write concurrently.
/// </remarks>
internal sealed class PostgresUploadStore : IUploadStore
{
    private readonly PostgresDatabase _database;
    private readonly DataDirectory _directory;

    public PostgresUploadStore(PostgresDatabase database, DataDirectory directory)
    {
        _database = database;
        _directory = directory;
    }

    public async Task<UploadSession?> FindAsync(string name, long size, string sha256, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT id FROM uploads WHERE name = @name AND size_bytes = @size AND sha256 = @sha;", connection);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("size", size);
        command.Parameters.AddWithValue("sha", sha256);
        return await command.ExecuteScalarAsync(cancellationToken) is string id ? new UploadSession(id, PartPath(id)) : null;
    }

    public async Task<UploadSession> GetOrCreateAsync(UploadHeaderRecord header, CancellationToken cancellationToken)
    {
        await using (NpgsqlConnection connection = await _database.OpenAsync(cancellationToken))
        await using (var command = new NpgsqlCommand(
            """
            INSERT INTO uploads (id, name, size_bytes, sha256, header) VALUES (@id, @name, @size, @sha, @header)
            ON CONFLICT (name, size_bytes, sha256) DO UPDATE SET update_time = now();
            """, connection))
        {
            // Inserted, or touched when another stream (on any replica) created it first.
            command.Parameters.AddWithValue("id", Ids.New(Ids.Upload));
            command.Parameters.AddWithValue("name", header.Name);
            command.Parameters.AddWithValue("size", header.SizeBytes);
            command.Parameters.AddWithValue("sha", header.Sha256);
            command.Parameters.AddWithValue("header", header.ToByteArray());
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return await FindAsync(header.Name, header.SizeBytes, header.Sha256, cancellationToken)
            ?? throw new InvalidOperationException("The upload row vanished right after it was inserted.");
    }

    public async Task<IAsyncDisposable?> TryAcquireAsync(string id, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        try
        {
            if (await LockAsync(connection, "pg_try_advisory_lock", id, cancellationToken))
            {
                return new Claim(connection, id);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    public async Task TouchAsync(string id, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("UPDATE uploads SET update_time = now() WHERE id = @id;", connection);
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        await using (NpgsqlConnection connection = await _database.OpenAsync(cancellationToken))
        await using (var command = new NpgsqlCommand("DELETE FROM uploads WHERE id = @id;", connection))
        {
            command.Parameters.AddWithValue("id", id);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        File.Delete(PartPath(id));
    }

    /// <remarks>
    /// Other replicas may be receiving uploads meanwhile: an upload is dropped only when idle on the database clock and
    /// unclaimed, and the part files are listed before the rows, because a row is always written before its part file
    /// (a file listed first whose row is missing afterwards cannot belong to an upload in progress).
    /// </remarks>
    public async Task<int> CleanUpAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        List<string> files = [.. Directory.EnumerateFiles(_directory.UploadRoot)];
        var known = new HashSet<string>(StringComparer.Ordinal);
        var stale = new List<string>();
        await using (NpgsqlConnection connection = await _database.OpenAsync(cancellationToken))
        await using (var command = new NpgsqlCommand("SELECT id, update_time < now() - @age FROM uploads;", connection))
        {
            command.Parameters.AddWithValue("age", maxAge);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                (reader.GetBoolean(1) ? stale : (ICollection<string>)known).Add(reader.GetString(0));
            }
        }

        int dropped = 0;
        foreach (string id in stale)
        {
            IAsyncDisposable? claim = await TryAcquireAsync(id, cancellationToken);
            if (claim is null)
            {
                // A stream is writing it right now on some replica: it is not stale after all.
                known.Add(id);
                continue;
            }

            await using (claim)
            {
                await RemoveAsync(id, cancellationToken);
                dropped++;
            }
        }

        foreach (string file in files)
        {
            if (!known.Contains(Path.GetFileNameWithoutExtension(file)))
            {
                File.Delete(file);
            }
        }

        return dropped;
    }

    private string PartPath(string id) => Path.Combine(_directory.UploadRoot, id + ".part");

    private static async Task<bool> LockAsync(NpgsqlConnection connection, string function, string id, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {function}({PostgresDatabase.UploadLockClass}, hashtext(@id));", connection);
        command.Parameters.AddWithValue("id", id);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>A held upload lock: disposing unlocks it and returns the connection.</summary>
    private sealed class Claim(NpgsqlConnection connection, string id) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await LockAsync(connection, "pg_advisory_unlock", id, CancellationToken.None);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The connection broke: the session, and with it the lock, is gone already.
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
