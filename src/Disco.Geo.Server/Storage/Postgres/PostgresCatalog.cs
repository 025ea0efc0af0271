using Disco.Geo.Server.Storage.Records;
using Google.Protobuf;
using Npgsql;

namespace Disco.Geo.Server.Storage.Postgres;

/// <summary>
/// The catalog in PostgreSQL, shared by every replica. Same contract as <see cref="SqliteCatalog"/>: a record is
/// inserted after its blob is in place (<see cref="SharedBlobStore.CommitAsync"/>) and a blob deleted after its last
/// record, under the blob's advisory lock (see <see cref="SharedBlobStore"/>).
/// </summary>
internal sealed class PostgresCatalog : ICatalog
{
    private readonly PostgresDatabase _database;
    private readonly SharedBlobStore _blobs;

    public PostgresCatalog(PostgresDatabase database, SharedBlobStore blobs)
    {
        _database = database;
        _blobs = blobs;
    }

    public Task<DatasetRecord?> FindDatasetAsync(string reference, CancellationToken cancellationToken) =>
        FindAsync(DatasetRecord.Parser, "datasets", Ids.Dataset, reference, cancellationToken);

    public Task<ModelRecord?> FindModelAsync(string reference, CancellationToken cancellationToken) =>
        FindAsync(ModelRecord.Parser, "models", Ids.Model, reference, cancellationToken);

    public Task<PredictionRecord?> FindPredictionAsync(string reference, CancellationToken cancellationToken) =>
        FindAsync(PredictionRecord.Parser, "predictions", Ids.Prediction, reference, cancellationToken);

    public Task<RecordPage<DatasetRecord>> ListDatasetsAsync(CatalogQuery query, CancellationToken cancellationToken) =>
        ListAsync(DatasetRecord.Parser, "datasets", query, cancellationToken);

    public Task<RecordPage<ModelRecord>> ListModelsAsync(CatalogQuery query, CancellationToken cancellationToken) =>
        ListAsync(ModelRecord.Parser, "models", query, cancellationToken);

    public Task<RecordPage<PredictionRecord>> ListPredictionsAsync(CatalogQuery query, CancellationToken cancellationToken) =>
        ListAsync(PredictionRecord.Parser, "predictions", query, cancellationToken);

    public async Task<bool> TryInsertDatasetAsync(DatasetRecord dataset, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        // ON CONFLICT DO NOTHING: two replicas inserting the same name at once get one row and one "taken", not an error.
        await using var command = new NpgsqlCommand(
            "INSERT INTO datasets (id, name, kind, blob_sha256, record) VALUES (@id, @name, @kind, @blob, @record) ON CONFLICT DO NOTHING;", connection);
        command.Parameters.AddWithValue("id", dataset.Id);
        command.Parameters.AddWithValue("name", dataset.Name);
        command.Parameters.AddWithValue("kind", (int)dataset.Kind);
        command.Parameters.AddWithValue("blob", dataset.Blob.Sha256);
        command.Parameters.AddWithValue("record", dataset.ToByteArray());
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<bool> TryInsertModelAsync(ModelRecord model, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "INSERT INTO models (id, name, blob_sha256, record) VALUES (@id, @name, @blob, @record) ON CONFLICT DO NOTHING;", connection);
        command.Parameters.AddWithValue("id", model.Id);
        command.Parameters.AddWithValue("name", model.Name);
        command.Parameters.AddWithValue("blob", model.Blob.Sha256);
        command.Parameters.AddWithValue("record", model.ToByteArray());
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task SavePredictionAsync(PredictionRecord prediction, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO predictions (id, name, model_id, request_id, blob_sha256, record) VALUES (@id, @name, @model, @request, @blob, @record)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, model_id = excluded.model_id, request_id = excluded.request_id,
                blob_sha256 = excluded.blob_sha256, record = excluded.record;
            """, connection);
        command.Parameters.AddWithValue("id", prediction.Id);
        command.Parameters.AddWithValue("name", prediction.Name);
        command.Parameters.AddWithValue("model", prediction.ModelId);
        command.Parameters.AddWithValue("request", string.IsNullOrEmpty(prediction.RequestId) ? DBNull.Value : prediction.RequestId);
        command.Parameters.AddWithValue("blob", string.IsNullOrEmpty(prediction.Blob?.Sha256) ? DBNull.Value : prediction.Blob.Sha256);
        command.Parameters.AddWithValue("record", prediction.ToByteArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<long?> DeleteDatasetAsync(string id, CancellationToken cancellationToken) => DeleteAsync("datasets", id, cancellationToken);

    public Task<long?> DeleteModelAsync(string id, CancellationToken cancellationToken) => DeleteAsync("models", id, cancellationToken);

    public Task<long?> DeletePredictionAsync(string id, CancellationToken cancellationToken) => DeleteAsync("predictions", id, cancellationToken);

    private async Task<T?> FindAsync<T>(MessageParser<T> parser, string table, string idPrefix, string reference, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        return await PostgresRecords.SingleAsync(connection, parser, table, Ids.IsId(idPrefix, reference) ? "id" : "name", reference, cancellationToken);
    }

    private async Task<RecordPage<T>> ListAsync<T>(MessageParser<T> parser, string table, CatalogQuery query, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        var filters = new List<string>();
        var parameters = new Dictionary<string, object>();
        if (query.DatasetKind is { } kind)
        {
            filters.Add("kind = @kind");
            parameters["kind"] = (int)kind;
        }

        if (!string.IsNullOrEmpty(query.NamePrefix))
        {
            // starts_with, not LIKE: a prefix is literal text, '%' and '_' included.
            filters.Add("starts_with(name, @prefix)");
            parameters["prefix"] = query.NamePrefix;
        }

        if (!string.IsNullOrEmpty(query.ModelId))
        {
            filters.Add("model_id = @model");
            parameters["model"] = query.ModelId;
        }

        if (!string.IsNullOrEmpty(query.RequestId))
        {
            filters.Add("request_id = @request");
            parameters["request"] = query.RequestId;
        }

        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        return await PostgresRecords.ListAsync(connection, parser, table, query.AfterId, query.Limit, filters, parameters, cancellationToken);
    }

    /// <summary>Deletes a record and its blob when nothing else refers to it. Returns null when the record did not exist, else the bytes freed.</summary>
    private async Task<long?> DeleteAsync(string table, string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            (bool exists, string? sha256) = await BlobOfAsync(table, id, cancellationToken);
            if (!exists)
            {
                return null;
            }

            if (sha256 is null)
            {
                // A pending prediction: no blob to free. Deleted only if it is still blob-less, else look again.
                if (await DeleteRowAsync(table, id, null, null, cancellationToken))
                {
                    return 0;
                }

                continue;
            }

            // Under the blob's lock, and only if the row still names this blob (a replica may have saved a prediction
            // with its result in between): then the row and, when it was the last reference, the file go together.
            long? freed = await _blobs.WithBlobLockAsync(sha256, async (connection, token) =>
                await DeleteRowAsync(table, id, sha256, connection, token)
                    ? await _blobs.DeleteIfUnreferencedAsync(connection, sha256, token)
                    : (long?)null, cancellationToken);
            if (freed is not null)
            {
                return freed;
            }
        }
    }

    private async Task<(bool Exists, string? Sha256)> BlobOfAsync(string table, string id, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT blob_sha256 FROM {table} WHERE id = @id;", connection);
        command.Parameters.AddWithValue("id", id);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (true, reader.IsDBNull(0) ? null : reader.GetString(0)) : (false, null);
    }

    private async Task<bool> DeleteRowAsync(string table, string id, string? sha256, NpgsqlConnection? connection, CancellationToken cancellationToken)
    {
        NpgsqlConnection open = connection ?? await _database.OpenAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand($"DELETE FROM {table} WHERE id = @id AND blob_sha256 IS NOT DISTINCT FROM @sha;", open);
            command.Parameters.AddWithValue("id", id);
            command.Parameters.AddWithValue("sha", NpgsqlTypes.NpgsqlDbType.Text, (object?)sha256 ?? DBNull.Value);
            return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        }
        finally
        {
            if (connection is null)
            {
                await open.DisposeAsync();
            }
        }
    }
}
