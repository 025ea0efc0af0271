using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Observability;
using Disco.Geo.Server.Storage;
using Google.Protobuf;

namespace Disco.Geo.Server.Services;

/// <summary>
/// Streams an exported file (prediction or dataset export) from the server's temporary directory: its metadata with
/// GDAL's .aux.xml sidecar inlined (class names and attribute tables cannot live inside a TIFF), then its chunks.
/// </summary>
internal static class ExportedFileStreaming
{
    /// <summary>GDAL's sidecar of a written file: where category names and raster attribute tables go.</summary>
    public static string SidecarOf(string path) => path + ".aux.xml";

    public static async Task StreamAsync(string path, string fileName, string contentType, Func<FileMetadata, Task> writeMetadata, Func<FileChunk, Task> writeChunk,
        int chunkBytes, ServerMetrics metrics, CancellationToken cancellationToken)
    {
        string sidecar = SidecarOf(path);
        var metadata = new FileMetadata
        {
            FileName = fileName,
            ContentType = contentType,
            SizeBytes = new FileInfo(path).Length,
            Sha256 = await BlobStore.HashFileAsync(path, 0, cancellationToken),
            AuxXml = File.Exists(sidecar) ? await File.ReadAllTextAsync(sidecar, cancellationToken) : string.Empty,
        };
        await writeMetadata(metadata);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
        byte[] buffer = new byte[chunkBytes];
        long offset = 0;
        int read;
        while ((read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
        {
            await writeChunk(new FileChunk { Offset = offset, Data = ByteString.CopyFrom(buffer, 0, read) });
            offset += read;
            metrics.AddStreamedBytes(read);
        }
    }

    /// <summary>Deletes an exported file and its sidecar.</summary>
    public static void Delete(string path)
    {
        File.Delete(path);
        File.Delete(SidecarOf(path));
    }
}
