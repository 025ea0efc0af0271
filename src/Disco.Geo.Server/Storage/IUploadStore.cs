using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Storage;

/// <summary>An unfinished upload: its id and the part file holding the bytes received so far.</summary>
internal sealed record UploadSession(string Id, string PartPath)
{
    /// <summary>The part file's length is the committed byte count, so a resumed upload continues where the bytes on disk end.</summary>
    public long CommittedBytes => File.Exists(PartPath) ? new FileInfo(PartPath).Length : 0;
}

/// <summary>
/// Unfinished uploads, one per (name, size, SHA-256), so the same file sent again resumes instead of starting over.
/// The dataset only appears after the whole file is hashed and committed to the <see cref="IBlobStore"/>.
/// </summary>
internal interface IUploadStore
{
    Task<UploadSession?> FindAsync(string name, long size, string sha256, CancellationToken cancellationToken);

    Task<UploadSession> GetOrCreateAsync(UploadHeaderRecord header, CancellationToken cancellationToken);

    /// <summary>
    /// Claims the upload for one stream: null when another stream is writing it (in this process or, with a shared
    /// store, in another replica). Disposing the claim releases it.
    /// </summary>
    Task<IAsyncDisposable?> TryAcquireAsync(string id, CancellationToken cancellationToken);

    /// <summary>Marks the upload as active now, so the start-up clean-up keeps it.</summary>
    Task TouchAsync(string id, CancellationToken cancellationToken);

    /// <summary>Forgets an upload (finished or discarded); its part file, if still there, is deleted.</summary>
    Task RemoveAsync(string id, CancellationToken cancellationToken);

    /// <summary>Start-up: drops uploads idle for longer than <paramref name="maxAge"/> and part files without a row. Returns the uploads dropped.</summary>
    Task<int> CleanUpAsync(TimeSpan maxAge, CancellationToken cancellationToken);
}
