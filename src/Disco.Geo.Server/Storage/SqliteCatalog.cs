using Disco.Geo.Server.Storage.Records;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace Disco.Geo.Server.Storage;

/// <summary>
/// The catalog in the SQLite metadata database. Inserting a record after its blob is in place and deleting its blob
/// after the record is gone both happen under <see cref="LocalBlobStore.ReferenceGate"/>, so a record never points to
/// a missing blob.
/// </summary>
internal sealed class SqliteCatalog : ICatalog
{
    private readonly MetadataDatabase _database;
    private readonly LocalBlobStore _blobs;

    public SqliteCatalog(MetadataDatabase database, LocalBlobStore blobs)
    {
        _database = database;
        _blobs = blobs;
    }

    private RecordTable<DatasetRecord> Datasets { get; } = new("datasets");

    private RecordTable<ModelRecord> Models { get; } = new("models");

    private RecordTable<PredictionRecord> Predictions { get; } = new("predictions");

    public Task<DatasetRecord?> FindDatasetAsync(string reference, CancellationToken cancellationToken) =>
        FindAsync(Datasets, Ids.Dataset, reference, cancellationToken);

    public Task<ModelRecord?> FindModelAsync(string reference, CancellationToken cancellationToken) =>
        FindAsync(Models, Ids.Model, reference, cancellationToken);

    public Task<PredictionRecord?> FindPredictionAsync(string reference, CancellationToken cancellationToken) =>
        FindAsync(Predictions, Ids.Prediction, reference, cancellationToken);

    public Task<RecordPage<DatasetRecord>> ListDatasetsAsync(CatalogQuery query, CancellationToken cancellationToken) =>
        ListAsync(Datasets, query, cancellationToken);

    public Task<RecordPage<ModelRecord>> ListModelsAsync(CatalogQuery query, CancellationToken cancellationToken) =>
        ListAsync(Models, query, cancellationToken);

    public Task<RecordPage<PredictionRecord>> ListPredictionsAsync(CatalogQuery query, CancellationToken cancellationToken) =>
        ListAsync(Predictions, query, cancellationToken);

    public async Task<bool> TryInsertDatasetAsync(DatasetRecord dataset, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        if (await Datasets.GetByNameAsync(connection, dataset.Name, cancellationToken) is not null)
        {
            return false;
        }

        await Datasets.UpsertAsync(connection, null, new Dictionary<string, object?>
        {
            ["id"] = dataset.Id,
            ["name"] = dataset.Name,
            ["kind"] = (int)dataset.Kind,
            ["blob_sha256"] = dataset.Blob.Sha256,
            ["record"] = dataset.ToByteArray(),
        }, cancellationToken);
        return true;
    }

    public async Task<bool> TryInsertModelAsync(ModelRecord model, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        if (await Models.GetByNameAsync(connection, model.Name, cancellationToken) is not null)
        {
            return false;
        }

        await Models.UpsertAsync(connection, null, new Dictionary<string, object?>
        {
            ["id"] = model.Id,
            ["name"] = model.Name,
            ["blob_sha256"] = model.Blob.Sha256,
            ["record"] = model.ToByteArray(),
        }, cancellationToken);
        return true;
    }

    public async Task SavePredictionAsync(PredictionRecord prediction, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await Predictions.UpsertAsync(connection, null, new Dictionary<string, object?>
        {
            ["id"] = prediction.Id,
            ["name"] = prediction.Name,
            ["model_id"] = prediction.ModelId,
            ["request_id"] = string.IsNullOrEmpty(prediction.RequestId) ? null : prediction.RequestId,
            ["blob_sha256"] = prediction.Blob?.Sha256,
            ["record"] = prediction.ToByteArray(),
        }, cancellationToken);
    }

    public Task<long?> DeleteDatasetAsync(string id, CancellationToken cancellationToken) => DeleteAsync(Datasets, id, cancellationToken);

    public Task<long?> DeleteModelAsync(string id, CancellationToken cancellationToken) => DeleteAsync(Models, id, cancellationToken);

    public Task<long?> DeletePredictionAsync(string id, CancellationToken cancellationToken) => DeleteAsync(Predictions, id, cancellationToken);

    private async Task<T?> FindAsync<T>(RecordTable<T> table, string idPrefix, string reference, CancellationToken cancellationToken)
        where T : class, IMessage<T>, new()
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        return Ids.IsId(idPrefix, reference)
            ? await table.GetAsync(connection, reference, cancellationToken)
            : await table.GetByNameAsync(connection, reference, cancellationToken);
    }

    private async Task<RecordPage<T>> ListAsync<T>(RecordTable<T> table, CatalogQuery query, CancellationToken cancellationToken)
        where T : class, IMessage<T>, new()
    {
        var filters = new List<string>();
        var parameters = new Dictionary<string, object>();
        if (query.DatasetKind is { } kind)
        {
            filters.Add("kind = $kind");
            parameters["$kind"] = (int)kind;
        }

        if (!string.IsNullOrEmpty(query.NamePrefix))
        {
            filters.Add("substr(name, 1, length($prefix)) = $prefix");
            parameters["$prefix"] = query.NamePrefix;
        }

        if (!string.IsNullOrEmpty(query.ModelId))
        {
            filters.Add("model_id = $model");
            parameters["$model"] = query.ModelId;
        }

        if (!string.IsNullOrEmpty(query.RequestId))
        {
            filters.Add("request_id = $request");
            parameters["$request"] = query.RequestId;
        }

        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        (List<T> items, bool more) = await table.ListAsync(
            connection, query.AfterId, query.Limit, filters.Count == 0 ? null : string.Join(" AND ", filters), parameters, cancellationToken);
        return new RecordPage<T>(items, more);
    }

    /// <summary>Deletes a record and its blob when nothing else refers to it. Returns null when the record did not exist, else the bytes freed.</summary>
    private async Task<long?> DeleteAsync<T>(RecordTable<T> table, string id, CancellationToken cancellationToken)
        where T : class, IMessage<T>, new()
    {
        await _blobs.ReferenceGate.WaitAsync(cancellationToken);
        try
        {
            await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
            // The blob is read from the row being deleted, so a caller's stale copy of the record cannot name another one.
            string? sha256 = await BlobOfAsync(connection, table.Name, id, cancellationToken);
            if (!await table.DeleteAsync(connection, null, id, CancellationToken.None))
            {
                return null;
            }

            return await _blobs.DeleteIfUnreferencedAsync(connection, sha256, CancellationToken.None);
        }
        finally
        {
            _blobs.ReferenceGate.Release();
        }
    }

    private static async Task<string?> BlobOfAsync(SqliteConnection connection, string table, string id, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT blob_sha256 FROM {table} WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }
}
