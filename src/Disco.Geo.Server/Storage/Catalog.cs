using Disco.Geo.Protos.V1;
using Microsoft.Data.Sqlite;

namespace Disco.Geo.Server.Storage;

/// <summary>
/// Datasets, models and predictions in the metadata database, each pointing to a blob. Inserting a record after its
/// blob is in place and deleting its blob after the record is gone both happen under
/// <see cref="BlobStore.ReferenceGate"/>, so a record never points to a missing blob.
/// </summary>
internal sealed class Catalog
{
    private readonly MetadataDatabase _database;
    private readonly BlobStore _blobs;

    public Catalog(MetadataDatabase database, BlobStore blobs)
    {
        _database = database;
        _blobs = blobs;
    }

    public RecordTable<Dataset> Datasets { get; } = new("datasets");

    public RecordTable<Model> Models { get; } = new("models");

    public RecordTable<Prediction> Predictions { get; } = new("predictions");

    public Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => _database.OpenAsync(cancellationToken);

    /// <summary>Finds a record by id or, when the reference is not shaped like an id, by name.</summary>
    public async Task<T?> FindAsync<T>(RecordTable<T> table, string idPrefix, string reference, CancellationToken cancellationToken)
        where T : class, Google.Protobuf.IMessage<T>, new()
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        return Ids.IsId(idPrefix, reference)
            ? await table.GetAsync(connection, reference, cancellationToken)
            : await table.GetByNameAsync(connection, reference, cancellationToken);
    }

    /// <summary>Inserts a dataset whose blob is already in the store. False when the name is taken.</summary>
    public async Task<bool> TryInsertDatasetAsync(Dataset dataset, CancellationToken cancellationToken)
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
            ["record"] = Google.Protobuf.MessageExtensions.ToByteArray(dataset),
        }, cancellationToken);
        return true;
    }

    public async Task<bool> TryInsertModelAsync(Model model, CancellationToken cancellationToken)
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
            ["record"] = Google.Protobuf.MessageExtensions.ToByteArray(model),
        }, cancellationToken);
        return true;
    }

    public async Task SavePredictionAsync(Prediction prediction, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
        await Predictions.UpsertAsync(connection, null, new Dictionary<string, object?>
        {
            ["id"] = prediction.Id,
            ["name"] = prediction.Name,
            ["model_id"] = prediction.ModelId,
            ["request_id"] = string.IsNullOrEmpty(prediction.RequestId) ? null : prediction.RequestId,
            ["blob_sha256"] = prediction.Blob?.Sha256,
            ["record"] = Google.Protobuf.MessageExtensions.ToByteArray(prediction),
        }, cancellationToken);
    }

    /// <summary>Deletes a record and its blob when nothing else refers to it. Returns null when the record did not exist, else the bytes freed.</summary>
    public async Task<long?> DeleteAsync<T>(RecordTable<T> table, string id, string? sha256, CancellationToken cancellationToken)
        where T : class, Google.Protobuf.IMessage<T>, new()
    {
        await _blobs.ReferenceGate.WaitAsync(cancellationToken);
        try
        {
            await using SqliteConnection connection = await _database.OpenAsync(cancellationToken);
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
}
