using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Observability;
using Google.Protobuf;

namespace Disco.Geo.Server.Application.Transfers;

/// <summary>
/// The one way the server sends a file: chunks of at most the given size, each with its offset. Every chunk reads
/// into a buffer of its own that is never reused, so the bytes are wrapped into the message without a copy
/// (<see cref="UnsafeByteOperations.UnsafeWrap(ReadOnlyMemory{byte})"/> is safe because nothing writes the buffer
/// after it is wrapped).
/// </summary>
internal static class FileSender
{
    public static async Task SendAsync(
        Stream source, long offset, int chunkBytes, Func<FileChunk, Task> writeChunk, ServerMetrics metrics, CancellationToken cancellationToken)
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

            await writeChunk(new FileChunk { Offset = offset, Data = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, read)) });
            offset += read;
            metrics.AddStreamedBytes(read);
        }
    }
}
