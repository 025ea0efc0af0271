using System.Collections.Concurrent;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace Disco.Geo.Server.Storage;

/// <summary>
/// Unfinished uploads: a row per (name, size, SHA-256) and a part file under uploads/. The part file's length is the
/// committed byte count, so a killed server resumes exactly where the bytes on disk end; the dataset only appears
/// after the whole file is hashed and moved into the blob store.
/// </summary>
internal sealed class SqliteUploadStore : IUploadStore
{
    private readonly MetadataDatabase _database;
    private readonly DataDirectory _directory;
    private readonly ConcurrentDictionary<string, byte> _active = new(StringComparer.Ordinal);

    public SqliteUploadStore(MetadataDatabase database, DataDirectory directory)
    {
        _database = database;
        _directory = directory;
    }

    public async Task<UploadSession?> FindAsync(string name, long size, string sha256, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM uploads WHERE name = $n AND size_bytes = $s AND sha256 = $h;";
        command.Parameters.AddWithValue("$n", name);
        command.Parameters.AddWithValue("$s", size);
        command.Parameters.AddWithValue("$h", sha256);
        return await command.ExecuteScalarAsync(cancellationToken) is string id ? new UploadSession(id, PartPath(id)) : null;
    }

    public async Task<UploadSession> GetOrCreateAsync(UploadHeaderRecord header, CancellationToken cancellationToken)
    {
        UploadSession? existing = await FindAsync(header.Name, header.SizeBytes, header.Sha256, cancellationToken);
        if (existing is not null)
        {
            await TouchAsync(existing.Id, cancellationToken);
            return existing;
        }

        string id = Ids.New(Ids.Upload);
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO uploads (id, name, size_bytes, sha256, header, update_time) VALUES ($id, $n, $s, $h, $hdr, $t)
            ON CONFLICT (name, size_bytes, sha256) DO NOTHING;
            """;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$n", header.Name);
        command.Parameters.AddWithValue("$s", header.SizeBytes);
        command.Parameters.AddWithValue("$h", header.Sha256);
        command.Parameters.AddWithValue("$hdr", header.ToByteArray());
        command.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        await command.ExecuteNonQueryAsync(cancellationToken);
        return await FindAsync(header.Name, header.SizeBytes, header.Sha256, cancellationToken)
            ?? throw new InvalidOperationException("The upload row vanished right after it was inserted.");
    }

    /// <remarks>In-process: one process uses a SQLite store (the data directory's lock makes sure of it).</remarks>
    public Task<IAsyncDisposable?> TryAcquireAsync(string id, CancellationToken cancellationToken) =>
        Task.FromResult<IAsyncDisposable?>(_active.TryAdd(id, 0) ? new Claim(_active, id) : null);

    public async Task TouchAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "UPDATE uploads SET update_time = $t WHERE id = $id;";
        command.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        command.Parameters.AddWithValue("$id", id);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        await using (SqliteConnection connection = await _database.OpenAsync(cancellationToken))
        await using (SqliteCommand command = connection.CreateCommand())
        {
            command.CommandText = "DELETE FROM uploads WHERE id = $id;";
            command.Parameters.AddWithValue("$id", id);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        File.Delete(PartPath(id));
    }

    public async Task<int> CleanUpAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        var stale = new List<string>();
        long cutoff = DateTimeOffset.UtcNow.Subtract(maxAge).ToUnixTimeSeconds();
        await using (SqliteConnection connection = await _database.OpenAsync(cancellationToken))
        await using (SqliteCommand command = connection.CreateCommand())
        {
            command.CommandText = "SELECT id, update_time FROM uploads;";
            await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                string id = reader.GetString(0);
                (reader.GetInt64(1) < cutoff ? stale : (ICollection<string>)known).Add(id);
            }
        }

        foreach (string id in stale)
        {
            await RemoveAsync(id, cancellationToken);
        }

        foreach (string file in Directory.EnumerateFiles(_directory.UploadRoot))
        {
            if (!known.Contains(Path.GetFileNameWithoutExtension(file)))
            {
                File.Delete(file);
            }
        }

        return stale.Count;
    }

    private string PartPath(string id) => Path.Combine(_directory.UploadRoot, id + ".part");

    private sealed class Claim(ConcurrentDictionary<string, byte> active, string id) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            active.TryRemove(id, out _);
            return ValueTask.CompletedTask;
        }
    }
}
