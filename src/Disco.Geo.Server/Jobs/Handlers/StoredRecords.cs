using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Storage;
using StatusCode = Disco.Geo.Server.Problems.ProblemKind;

namespace Disco.Geo.Server.Jobs.Handlers;

/// <summary>Commits a job's finished dataset or model file with its record (<see cref="BlobStore.CommitAsync"/>).</summary>
internal static class StoredRecords
{
    public static async Task CommitDatasetAsync(Catalog catalog, BlobStore blobs, string finishedPath, Dataset dataset, CancellationToken cancellationToken)
    {
        if (await blobs.CommitAsync(finishedPath, null, blob => catalog.TryInsertDatasetAsync(Stamped(dataset, blob), CancellationToken.None), cancellationToken) is null)
        {
            throw new JobFailedException(StatusCode.AlreadyExists, $"A dataset named '{dataset.Name}' was created while this job ran. Delete it or choose another name, then resume the job.");
        }
    }

    public static async Task CommitModelAsync(Catalog catalog, BlobStore blobs, string finishedPath, Model model, CancellationToken cancellationToken)
    {
        if (await blobs.CommitAsync(finishedPath, null, blob => catalog.TryInsertModelAsync(Stamped(model, blob), CancellationToken.None), cancellationToken) is null)
        {
            throw new JobFailedException(StatusCode.AlreadyExists, $"A model named '{model.Name}' already exists. Delete it or choose another name.");
        }
    }

    private static Dataset Stamped(Dataset dataset, BlobInfo blob)
    {
        dataset.Blob = blob;
        return dataset;
    }

    private static Model Stamped(Model model, BlobInfo blob)
    {
        model.Blob = blob;
        return model;
    }
}
