using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using StatusCode = Disco.Geo.Server.Problems.ProblemKind;

namespace Disco.Geo.Server.Jobs.Handlers;

/// <summary>
/// Commits a job's finished dataset or model file with its record (<see cref="IBlobStore.CommitAsync"/>), once per
/// job: the record's id is the job's (<see cref="Ids.OutputOf"/>), so when two runners briefly both hold the job (one
/// stalled past its lease) the second commit finds the first one's record and reports it instead of a clash.
/// </summary>
internal static class StoredRecords
{
    public static async Task CommitDatasetAsync(ICatalog catalog, IBlobStore blobs, string finishedPath, DatasetRecord dataset, CancellationToken cancellationToken)
    {
        if (await blobs.CommitAsync(finishedPath, null, blob => catalog.TryInsertDatasetAsync(Stamped(dataset, blob), CancellationToken.None), cancellationToken) is null
            && !IsOwnOutput(await catalog.FindDatasetAsync(dataset.Id, CancellationToken.None), dataset.Id))
        {
            throw new JobFailedException(StatusCode.AlreadyExists, $"A dataset named '{dataset.Name}' was created while this job ran. Delete it or choose another name, then resume the job.");
        }
    }

    public static async Task CommitModelAsync(ICatalog catalog, IBlobStore blobs, string finishedPath, ModelRecord model, CancellationToken cancellationToken)
    {
        if (await blobs.CommitAsync(finishedPath, null, blob => catalog.TryInsertModelAsync(Stamped(model, blob), CancellationToken.None), cancellationToken) is null
            && !IsOwnOutput(await catalog.FindModelAsync(model.Id, CancellationToken.None), model.Id))
        {
            throw new JobFailedException(StatusCode.AlreadyExists, $"A model named '{model.Name}' already exists. Delete it or choose another name.");
        }
    }

    /// <summary>The name clash was with this job's own output, committed by an earlier holder of the job.</summary>
    private static bool IsOwnOutput(object? existing, string id) => existing switch
    {
        DatasetRecord d => d.Id == id,
        ModelRecord m => m.Id == id,
        _ => false,
    };

    private static DatasetRecord Stamped(DatasetRecord dataset, BlobRecord blob)
    {
        dataset.Blob = blob;
        return dataset;
    }

    private static ModelRecord Stamped(ModelRecord model, BlobRecord blob)
    {
        model.Blob = blob;
        return model;
    }
}
