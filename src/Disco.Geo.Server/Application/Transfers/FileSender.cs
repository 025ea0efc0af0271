using Disco.Geo.Server.Diagnostics;

namespace Disco.Geo.Server.Application.Transfers;

/// <summary>
/// The one way the server sends a file: pieces of at most the given size, each with its offset. Every piece reads
/// into a buffer of its own that is never reused, so the Api layer may wrap the bytes into its message without a copy
/// (nothing writes the buffer after it is handed out).
/// </summary>
internal static class FileSender
{
    public static async Task SendAsync(
        Stream source, long offset, int chunkBytes, Func<FilePiece, Task> writePiece, ServerMetrics metrics, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkBytes);
        while (true)
        {
            byte[] buffer = new byte[chunkBytes];
            int read = await source.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            if (read == 0)
            {
                return;
            }

            await writePiece(new FilePiece(offset, buffer.AsMemory(0, read)));
            offset += read;
            metrics.AddStreamedBytes(read);
        }
    }
}
