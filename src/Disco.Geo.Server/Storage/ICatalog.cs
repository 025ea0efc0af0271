using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Storage;

/// <summary>One page of a list: the records in id order, and whether more follow the last one.</summary>
internal sealed record RecordPage<T>(IReadOnlyList<T> Items, bool More);

/// <summary>
/// Which records a list returns: those after <paramref name="AfterId"/> (ids are time-ordered, see <see cref="Ids"/>),
/// at most <paramref name="Limit"/>, narrowed by the filters that are set. Typed rather than SQL so that another
/// catalog (PostgreSQL) answers the same question in its own dialect.
/// </summary>
internal sealed record CatalogQuery(string? AfterId, int Limit)
{
    public string? NamePrefix { get; init; }

    /// <summary>Datasets only.</summary>
    public DatasetRecordKind? DatasetKind { get; init; }

    /// <summary>Predictions only.</summary>
    public string? ModelId { get; init; }

    /// <summary>Predictions only.</summary>
    public string? RequestId { get; init; }
}

/// <summary>
/// Datasets, models and predictions, each pointing to a blob in the <see cref="IBlobStore"/>. A record is inserted only
/// after its blob is in place (<see cref="IBlobStore.CommitAsync"/>) and its blob is deleted only after the record is
/// gone (the Delete methods), so a record never points to a missing blob. Records are found by id or, when the
/// reference is not shaped like an id, by name.
/// </summary>
internal interface ICatalog
{
    Task<DatasetRecord?> FindDatasetAsync(string reference, CancellationToken cancellationToken);

    Task<ModelRecord?> FindModelAsync(string reference, CancellationToken cancellationToken);

    Task<PredictionRecord?> FindPredictionAsync(string reference, CancellationToken cancellationToken);

    Task<RecordPage<DatasetRecord>> ListDatasetsAsync(CatalogQuery query, CancellationToken cancellationToken);

    Task<RecordPage<ModelRecord>> ListModelsAsync(CatalogQuery query, CancellationToken cancellationToken);

    Task<RecordPage<PredictionRecord>> ListPredictionsAsync(CatalogQuery query, CancellationToken cancellationToken);

    /// <summary>Inserts a dataset whose blob is already in the store. False when the name is taken.</summary>
    Task<bool> TryInsertDatasetAsync(DatasetRecord dataset, CancellationToken cancellationToken);

    /// <summary>Inserts a model whose blob is already in the store. False when the name is taken.</summary>
    Task<bool> TryInsertModelAsync(ModelRecord model, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces a prediction (names need not be unique; a pending one has no blob yet).</summary>
    Task SavePredictionAsync(PredictionRecord prediction, CancellationToken cancellationToken);

    /// <summary>Deletes the dataset and its blob when nothing else refers to it: null when it did not exist, else the bytes freed.</summary>
    Task<long?> DeleteDatasetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Deletes the model and its blob when nothing else refers to it: null when it did not exist, else the bytes freed.</summary>
    Task<long?> DeleteModelAsync(string id, CancellationToken cancellationToken);

    /// <summary>Deletes the prediction and its blob when nothing else refers to it: null when it did not exist, else the bytes freed.</summary>
    Task<long?> DeletePredictionAsync(string id, CancellationToken cancellationToken);
}
