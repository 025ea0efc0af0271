using Disco.Geo.Server.Application.Transfers;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Storage;

namespace Disco.Geo.Server.Application.Exports;

/// <summary>
/// Streams an exported file (prediction or dataset export) from the server's temporary directory: its metadata with
/// GDAL's .aux.xml sidecar inlined (class names and attribute tables cannot live inside a TIFF), then its chunks.
/// </summary>
internal static class ExportedFileStreaming
{
    /// <summary>GDAL's sidecar of a written file: where category names and raster attribute tables go.</summary>
    public static string SidecarOf(string path) => path + ".aux.xml";

    /// <summary>
    /// Streams the file at <paramref name="path"/>; <paramref name="describe"/>, when given, returns the STAC Item JSON of
    /// the written file (from its path and metadata) to send with the metadata.
    /// </summary>
    public static async Task StreamAsync(string path, string fileName, string contentType, Func<ExportedFile, Task> writeMetadata, Func<FilePiece, Task> writePiece,
        int chunkBytes, ServerMetrics metrics, CancellationToken cancellationToken, Func<string, ExportedFile, Task<string>>? describe = null)
    {
        string sidecar = SidecarOf(path);
        var metadata = new ExportedFile(
            fileName,
            contentType,
            new FileInfo(path).Length,
            await FileHashes.Sha256Async(path, 0, cancellationToken),
            File.Exists(sidecar) ? await File.ReadAllTextAsync(sidecar, cancellationToken) : string.Empty);
        if (describe is not null)
        {
            metadata = metadata with { StacItemJson = await describe(path, metadata) };
        }

        await writeMetadata(metadata);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
        await FileSender.SendAsync(stream, 0, chunkBytes, writePiece, metrics, cancellationToken);
    }

    /// <summary>Deletes an exported file and its sidecar.</summary>
    public static void Delete(string path)
    {
        File.Delete(path);
        File.Delete(SidecarOf(path));
    }
}
