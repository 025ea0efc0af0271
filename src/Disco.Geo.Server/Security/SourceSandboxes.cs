using System.Text.RegularExpressions;
using Disco.Geo.Gdal;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Application.Errors;
using Disco.Geo.Server.Engines.Raster;
using Disco.Geo.Server.Jobs.Handlers;
using Disco.Geo.Server.Services;
using Disco.Geo.Server.Storage;

namespace Disco.Geo.Server.Security;

/// <summary>
/// The <see cref="SourceSandbox"/> of every file a client can have the server read (ingest sources, tiles, additional
/// sources, prediction rasters and photos): an upload may read its own blob and nothing else (not even the blobs next
/// to it); a server path may read files under the import roots only. Every open of such a file goes through one of
/// these, in the job and, before the job is queued, at the RPC (ingest through the engine's inspection, predictions through
/// <see cref="ThrowIfPredictionInputEscapesAsync"/>).
/// </summary>
internal sealed partial class SourceSandboxes
{
    /// <summary>
    /// Drivers for files that hold their data themselves or in plain sidecars. VRTs, tile indexes and web-service
    /// descriptions are not among them: their whole point is to read other files or URLs. Formats that can name other
    /// files (ISIS3, PDS4, ENVI, EHdr, GeoTIFF with .aux.xml/.ovr, Shapefile) are allowed because the sandbox checks
    /// every file GDAL reports for them. MapInfo TAB is not among them: its seamless tables and views name other tables
    /// that GDAL does not report as files of the dataset, so they could not be checked. HDF5 and netCDF-4 files are
    /// walked with the HDF5 library before GDAL opens them (external links, external raw data and virtual datasets are
    /// refused, see <see cref="SourceSandbox"/>). HDF4 is not among them: an HDF4 scientific data set can keep its values
    /// in an external file (SDsetexternalfile), which GDAL does not report and this server cannot check without binding
    /// the HDF4 library; convert HDF4 files (e.g. with gdal_translate) before ingesting them.
    /// </summary>
    public static readonly IReadOnlyList<string> AllowedDrivers =
    [
        "GTiff", "COG", "netCDF", "HDF5", "HDF5Image", "GRIB", "JP2OpenJPEG", "PNG", "JPEG", "GIF", "BMP", "WEBP", "HFA",
        "AAIGrid", "XYZ", "EHdr", "ENVI", "ERS", "SAGA", "RST", "SRTMHGT", "USGSDEM", "PCIDSK", "NITF", "ISIS3", "PDS4",
        "ESRI Shapefile", "GeoJSON", "GeoJSONSeq", "TopoJSON", "GPKG", "FlatGeobuf", "OpenFileGDB", "SQLite", "GPX",
    ];

    private const string UploadBoundary = "the uploaded file";
    private const string ImportRootBoundary = "the server's import roots";
    private readonly Lazy<SourceSandbox> _importRoots;
    private readonly Catalog _catalog;
    private readonly BlobStore _blobs;

    public SourceSandboxes(ImportRoots importRoots, Catalog catalog, BlobStore blobs)
    {
        _catalog = catalog;
        _blobs = blobs;
        _importRoots = new Lazy<SourceSandbox>(() => SourceSandbox.Directories(importRoots.Roots, AllowedDrivers, ImportRootBoundary));
    }

    /// <summary>An uploaded file, stored as a blob: it may read only itself.</summary>
    public static SourceSandbox ForUpload(string blobPath) => SourceSandbox.SingleFile(blobPath, AllowedDrivers, UploadBoundary);

    /// <summary>Files named by server path (already resolved under an import root): they may read files under the roots.</summary>
    public SourceSandbox ForServerPaths() => _importRoots.Value;

    /// <summary>
    /// The sentence a client sees when a source is refused: what was refused (by the name the client knows) and what to
    /// do, never a server path or blob hash.
    /// </summary>
    public static string Describe(string subject, SourceContainmentException e)
    {
        // Blobs are named by their SHA-256: another upload's hash is not the client's to learn, even by guessing it.
        string referenced = BlobName().IsMatch(e.ReferencedName) ? "a stored file" : $"'{e.ReferencedName}'";
        return $"{subject} cannot be read: it refers to {referenced}, which is outside {e.Boundary}. " + (e.Boundary == UploadBoundary
            ? "An uploaded file may read only its own bytes; upload a self-contained file (e.g. a GeoTIFF) instead of a label that points at other files."
            : "Files named by server path may read only files under the import roots; put the files it needs there.");
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex BlobName();

    /// <summary>At the RPC: a prediction's raster or panorama input (upload or resolved server path), as for ingest.</summary>
    public async Task ThrowIfPredictionInputEscapesAsync(PredictRequest spec, CancellationToken cancellationToken)
    {
        if (spec.InputCase == PredictRequest.InputOneofCase.Raster)
        {
            await (spec.Raster.LocationCase == RasterSource.LocationOneofCase.DatasetId
                ? ThrowIfUploadEscapesAsync("The raster", spec.Raster.DatasetId, cancellationToken)
                : ThrowIfPathEscapesAsync("The raster", spec.Raster.ServerPath, cancellationToken));
        }
        else if (spec.InputCase == PredictRequest.InputOneofCase.Panorama)
        {
            await ThrowIfUploadEscapesAsync("The panorama", spec.Panorama.DatasetId, cancellationToken);
        }
    }

    private async Task ThrowIfUploadEscapesAsync(string subject, string datasetId, CancellationToken cancellationToken)
    {
        if (await _catalog.FindAsync(_catalog.Datasets, Ids.Dataset, datasetId, cancellationToken) is { Kind: DatasetKind.RawFile } upload)
        {
            string blob = _blobs.PathOf(upload.Blob.Sha256);
            await ThrowIfEscapingAsync($"{subject} '{IngestJobHandler.UploadName(upload)}'", blob, ForUpload(blob), cancellationToken);
        }
    }

    private Task ThrowIfPathEscapesAsync(string subject, string path, CancellationToken cancellationToken) =>
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
            throw Problems.PermissionDenied(Describe(subject, refused));
        }
    }
}
