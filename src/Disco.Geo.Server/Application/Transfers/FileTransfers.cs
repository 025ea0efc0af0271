using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Application.Transfers;

/// <summary>
/// Whole-file transfers of stored blobs: sending one from an offset (raw dataset downloads, model exports) and
/// receiving one in a single stream into a temporary file checked against its announced size and hash (model imports).
/// </summary>
internal sealed class FileTransfers(IBlobStore blobs, DataDirectory directory, IOptions<LimitsOptions> limits, ServerMetrics metrics)
{
    /// <summary>Sends the stored blob <paramref name="sha256"/> from <paramref name="offset"/>, in pieces of <paramref name="chunkBytes"/> (0: the server's).</summary>
    public async Task SendStoredAsync(string sha256, long offset, int chunkBytes, Func<FilePiece, Task> writePiece, CancellationToken cancellationToken)
    {
        await using FileStream stream = blobs.OpenRead(sha256);
        stream.Position = offset;
        await FileSender.SendAsync(stream, offset, chunkBytes > 0 ? chunkBytes : limits.Value.TransferChunkBytes, writePiece, metrics, cancellationToken);
    }

    /// <summary>Sends the file at <paramref name="path"/> (e.g. a conversion of a stored blob) from <paramref name="offset"/>.</summary>
    public async Task SendFileAsync(string path, long offset, int chunkBytes, Func<FilePiece, Task> writePiece, CancellationToken cancellationToken)
    {
        await using FileStream stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        stream.Position = offset;
        await FileSender.SendAsync(stream, offset, chunkBytes > 0 ? chunkBytes : limits.Value.TransferChunkBytes, writePiece, metrics, cancellationToken);
    }

    /// <summary>A new temporary path in the data directory; the caller deletes the file.</summary>
    public string NewTempPath(string extension) => directory.NewTempPath(extension);

    /// <summary>
    /// Receives a whole file sent in one stream (no resuming) into a new temporary file and returns its path once its
    /// size and SHA-256 match the announced ones; the caller commits or deletes it. Nothing is kept on failure.
    /// </summary>
    public async Task<string> ReceiveWholeAsync(IAsyncEnumerable<FilePiece?> chunks, long size, string sha256, string extension, CancellationToken cancellationToken)
    {
        string temp = directory.NewTempPath(extension);
        try
        {
            long position;
            await using (var file = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 0 }))
            {
                position = await FileReceiver.ReceiveAsync(chunks, file, 0, size, resumable: false, limits.Value, metrics, cancellationToken);
            }

            if (position != size)
            {
                throw Problem.InvalidArgument("chunk", $"the stream ended after {position} of {size} bytes; send the whole package.");
            }

            string received = await FileHashes.Sha256Async(temp, 0, cancellationToken);
            if (received != sha256)
            {
                throw Problem.DataLoss($"The received package has SHA-256 {received}, but the header announced {sha256}. Nothing was stored; send it again.");
            }

            return temp;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
