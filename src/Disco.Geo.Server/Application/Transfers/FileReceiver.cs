using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Problems;

namespace Disco.Geo.Server.Application.Transfers;

/// <summary>
/// The one way the server receives a file (dataset uploads and model imports), with one rule set: chunks arrive in
/// order, never run past the announced size, and hold <see cref="LimitsOptions.MinChunkBytes"/> to
/// <see cref="LimitsOptions.MaxChunkBytes"/> bytes (only the last may be smaller).
/// </summary>
internal static class FileReceiver
{
    /// <summary>
    /// Appends the chunks to <paramref name="target"/> from <paramref name="position"/> and returns the position after
    /// the last one. A null piece is a message that is not a chunk. <paramref name="resumable"/> says whether the bytes
    /// written so far are kept after a refused chunk, so the messages tell the client where to resume.
    /// </summary>
    public static async Task<long> ReceiveAsync(
        IAsyncEnumerable<FilePiece?> chunks, Stream target, long position, long size, bool resumable, LimitsOptions limits, ServerMetrics metrics,
        CancellationToken cancellationToken)
    {
        await foreach (FilePiece? received in chunks.WithCancellation(cancellationToken))
        {
            if (received is not { } chunk)
            {
                throw Problem.InvalidArgument("chunk", "after the header, every message must be a chunk.");
            }

            Check(chunk, position, size, resumable, limits);
            await target.WriteAsync(chunk.Data, cancellationToken);
            position += chunk.Data.Length;
            metrics.AddUploadedBytes(chunk.Data.Length);
        }

        return position;
    }

    private static void Check(FilePiece chunk, long position, long size, bool resumable, LimitsOptions limits)
    {
        if (chunk.Offset != position)
        {
            throw Problem.InvalidArgument("chunk.offset", $"chunks must arrive in order: expected offset {position}, got {chunk.Offset}."
                + (resumable ? $" Committed bytes are kept; resume from offset {position}." : ""));
        }

        int length = chunk.Data.Length;
        if (position + length > size)
        {
            throw Problem.OutOfRange("chunk.data", $"the chunk at offset {position} runs past the announced size of {size} bytes."
                + (resumable ? " Committed bytes are kept." : ""));
        }

        bool last = position + length == size;
        if (length > limits.MaxChunkBytes || (length < limits.MinChunkBytes && !last) || length == 0)
        {
            throw Problem.InvalidArgument("chunk.data", $"chunks must hold {limits.MinChunkBytes}-{limits.MaxChunkBytes} bytes (only the last may be smaller); got {length}.");
        }
    }
}
