using Disco.Geo.Gdal;
using Disco.Geo.Server.Problems;

namespace Disco.Geo.Server.Jobs.Sources;

/// <summary>
/// The <see cref="SourceSandbox"/> of every file a client can have the server read (ingest sources, tiles, additional
/// sources, prediction rasters and photos): an upload may read its own blob and nothing else (not even the blobs next
/// to it); a server path may read files under the import roots only. Every open of such a file goes through one of
/// these, in the job and, before the job is queued, at the RPC (ingest through the engine's inspection, predictions through
/// <see cref="ThrowIfUploadEscapesAsync"/> and <see cref="ThrowIfPathEscapesAsync"/>). It lives with the jobs because they
/// enforce it; the RPCs only check early.
/// </summary>
internal sealed class SourceSandboxes
{
    private const string ImportRootBoundary = "the server's import roots";
    private readonly Lazy<SourceSandbox> _importRoots;

    public SourceSandboxes(ImportRoots importRoots)
    {
        _importRoots = new Lazy<SourceSandbox>(() => SourceSandbox.Directories(importRoots.Roots, Raster.Ingest.IngestSandboxes.AllowedDrivers, ImportRootBoundary));
    }

    /// <summary>An uploaded file, stored as a blob: it may read only itself.</summary>
    public static SourceSandbox ForUpload(string blobPath) => Raster.Ingest.IngestSandboxes.ForUpload(blobPath);

    /// <summary>Files named by server path (already resolved under an import root): they may read files under the roots.</summary>
    public SourceSandbox ForServerPaths() => _importRoots.Value;

    /// <summary>At the RPC: an uploaded file (its blob), named to the client by <paramref name="uploadName"/>.</summary>
    public Task ThrowIfUploadEscapesAsync(string subject, string blobPath, string uploadName, CancellationToken cancellationToken) =>
        ThrowIfEscapingAsync($"{subject} '{uploadName}'", blobPath, ForUpload(blobPath), cancellationToken);

    /// <summary>At the RPC: a file named by server path, already resolved under an import root.</summary>
    public Task ThrowIfPathEscapesAsync(string subject, string path, CancellationToken cancellationToken) =>
        ThrowIfEscapingAsync($"{subject} '{Path.GetFileName(path)}'", path, ForServerPaths(), cancellationToken);

    /// <summary>
    /// Opens a file of a source through its sandbox before a job is queued and refuses the request with
    /// PERMISSION_DENIED when it refers to a file outside. Other failures to open are left to the job, which reports
    /// them in full.
    /// </summary>
    /// <param name="subject">How the client knows the file, at the start of a sentence ("dataset_id: upload 'label.lbl'").</param>
    /// <param name="path">The file (a blob path or a resolved server path).</param>
    /// <param name="sandbox">What it may read.</param>
    /// <param name="cancellationToken">The call's cancellation.</param>
    private static async Task ThrowIfEscapingAsync(string subject, string path, SourceSandbox sandbox, CancellationToken cancellationToken)
    {
        SourceContainmentException? refused = await Task.Run(() =>
        {
            try
            {
                using GdalDataset dataset = sandbox.Open(path, GdalOpenKind.Any);
                return null;
            }
            catch (SourceContainmentException e)
            {
                return e;
            }
            catch (Exception e) when (e is GdalException or IOException or UnauthorizedAccessException)
            {
                // Not readable at all: the job says why, in the same words as for every other unreadable source.
                return null;
            }
        }, cancellationToken);
        if (refused is not null)
        {
            throw Problem.PermissionDenied(Raster.Ingest.IngestSandboxes.Describe(subject, refused));
        }
    }
}
