using System.Text.RegularExpressions;
using Disco.Geo.Gdal;

namespace Disco.Geo.Raster.Ingest;

/// <summary>
/// What an ingest source may be: the GDAL drivers it may be opened with, the sandbox of an uploaded file, and the
/// sentence a client sees when a source reaches outside its sandbox.
/// </summary>
public static partial class IngestSandboxes
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

    /// <summary>An uploaded file, stored as a blob: it may read only itself.</summary>
    /// <param name="blobPath">The stored file.</param>
    public static SourceSandbox ForUpload(string blobPath) => SourceSandbox.SingleFile(blobPath, AllowedDrivers, UploadBoundary);

    /// <summary>
    /// The sentence a client sees when a source is refused: what was refused (by the name the client knows) and what to
    /// do, never a server path or blob hash.
    /// </summary>
    /// <param name="subject">How the client knows the source, at the start of a sentence.</param>
    /// <param name="e">What the sandbox refused.</param>
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
}
