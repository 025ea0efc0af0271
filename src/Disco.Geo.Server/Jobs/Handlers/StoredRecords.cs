using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Storage;
using StatusCode = Disco.Geo.Server.Application.Errors.ProblemKind;

namespace Disco.Geo.Server.Jobs.Handlers;

/// <summary>Moves a finished file into the blob store and inserts the record that refers to it, as one step under the reference gate.</summary>
internal static class StoredRecords
{
    public static async Task CommitDatasetAsync(Catalog catalog, BlobStore blobs, string finishedPath, Dataset dataset, CancellationToken cancellationToken)
    {
        long size = new FileInfo(finishedPath).Length;
        string sha256 = await BlobStore.HashFileAsync(finishedPath, 0, cancellationToken);
        dataset.Blob = new BlobInfo { Sha256 = sha256, SizeBytes = size };
        await blobs.ReferenceGate.WaitAsync(cancellationToken);
        try
        {
            blobs.MoveIntoStore(finishedPath, sha256);
            if (!await catalog.TryInsertDatasetAsync(dataset, CancellationToken.None))
            {
                await DropIfOrphanAsync(catalog, blobs, sha256);
                throw new JobFailedException(StatusCode.AlreadyExists, $"A dataset named '{dataset.Name}' was created while this job ran. Delete it or choose another name, then resume the job.");
            }
        }
        finally
        {
            blobs.ReferenceGate.Release();
        }
    }

    public static async Task CommitModelAsync(Catalog catalog, BlobStore blobs, string finishedPath, Model model, CancellationToken cancellationToken)
    {
        long size = new FileInfo(finishedPath).Length;
        string sha256 = await BlobStore.HashFileAsync(finishedPath, 0, cancellationToken);
        model.Blob = new BlobInfo { Sha256 = sha256, SizeBytes = size };
        await blobs.ReferenceGate.WaitAsync(cancellationToken);
        try
        {
            blobs.MoveIntoStore(finishedPath, sha256);
            if (!await catalog.TryInsertModelAsync(model, CancellationToken.None))
            {
                await DropIfOrphanAsync(catalog, blobs, sha256);
                throw new JobFailedException(StatusCode.AlreadyExists, $"A model named '{model.Name}' already exists. Delete it or choose another name.");
            }
        }
        finally
        {
            blobs.ReferenceGate.Release();
        }
    }

    private static async Task DropIfOrphanAsync(Catalog catalog, BlobStore blobs, string sha256)
    {
        await using Microsoft.Data.Sqlite.SqliteConnection connection = await catalog.OpenAsync(CancellationToken.None);
        await blobs.DeleteIfUnreferencedAsync(connection, sha256, CancellationToken.None);
    }
}
