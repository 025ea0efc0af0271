using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Storage;

/// <summary>
/// Content-addressed, immutable files, found by SHA-256. Today a local directory (<see cref="LocalBlobStore"/>); a blob
/// root shared by several servers implements the same contract. Readers get a local path because the engines read
/// files (GDAL, memory-mapped tensors), not streams.
/// </summary>
internal interface IBlobStore
{
    /// <summary>Where the blob's content is (or would be) on this machine.</summary>
    string PathOf(string sha256);

    bool Exists(string sha256);

    FileStream OpenRead(string sha256);

    /// <summary>
    /// The one way a finished file becomes a stored blob with a record that refers to it: hash the file (unless the
    /// caller has already checked it against <paramref name="knownSha256"/>), move it into the store and insert the
    /// record with <paramref name="insertRecord"/>, serialised against deletes so that a delete never removes a blob a
    /// concurrent commit has just started to refer to. Returns the blob, or null when <paramref name="insertRecord"/>
    /// refused (its name was taken meanwhile); the blob is then dropped again unless another record refers to the same
    /// content. Once the commit has begun nothing is cancelled, so a record and its blob are committed together or
    /// not at all.
    /// </summary>
    Task<BlobRecord?> CommitAsync(string finishedPath, string? knownSha256, Func<BlobRecord, Task<bool>> insertRecord, CancellationToken cancellationToken);

    /// <summary>Start-up sweep: removes blobs nothing refers to and empties the temporary directory. Returns the blobs removed.</summary>
    Task<int> CollectGarbageAsync(CancellationToken cancellationToken);
}
