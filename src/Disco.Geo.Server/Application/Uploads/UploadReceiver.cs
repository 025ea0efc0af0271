using Disco.Geo.Server.Application.Transfers;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Application.Uploads;

/// <summary>
/// Resumable uploads: one stream at a time writes a session's <c>.part</c> file from the offset the client resumes at,
/// the bytes received so far are kept when a stream ends early or a chunk is refused, and a whole file is checked
/// against its announced SHA-256 before it is committed. The record the upload becomes is the caller's: it commits
/// the checked file (through <see cref="IBlobStore.CommitAsync"/>) while the session is still held, so no second
/// stream can resume a file that is being committed.
/// </summary>
internal sealed class UploadReceiver(IUploadStore uploads, IOptions<LimitsOptions> limits, ServerMetrics metrics, ILogger<UploadReceiver> logger)
{
    /// <summary>What a client announces for an upload.</summary>
    /// <param name="Name">The dataset name it will become.</param>
    /// <param name="SizeBytes">The whole file's size.</param>
    /// <param name="Sha256">The whole file's SHA-256, lower-case hex.</param>
    /// <param name="Offset">Where this stream resumes: 0, or at most the bytes the server has committed.</param>
    internal sealed record Announced(string Name, long SizeBytes, string Sha256, long Offset);

    /// <summary>
    /// Receives <paramref name="chunks"/> into <paramref name="session"/> and, once the file is whole and its hash
    /// matches, hands its path to <paramref name="commit"/> and forgets the session.
    /// </summary>
    public async Task<TResult> ReceiveAsync<TResult>(
        UploadSession session, Announced upload, IAsyncEnumerable<FilePiece?> chunks, Func<string, string, Task<TResult>> commit, CancellationToken cancellationToken)
    {
        IAsyncDisposable? claim = await uploads.TryAcquireAsync(session.Id, cancellationToken);
        if (claim is null)
        {
            throw Problem.Aborted($"Another stream is uploading '{upload.Name}' right now. Wait for it to end, then resume from GetUploadStatus's committed_bytes.");
        }

        await using (claim)
        {
            long committed = session.CommittedBytes;
            if (upload.Offset > committed)
            {
                throw Problem.OutOfRange("header.offset", $"the server has committed {committed} bytes of this upload; resume from offset {committed} (or 0 to restart).");
            }

            long position = upload.Offset;
            await using (var part = new FileStream(session.PartPath, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 }))
            {
                part.SetLength(position);
                part.Position = position;
                position = await FileReceiver.ReceiveAsync(chunks, part, position, upload.SizeBytes, resumable: true, limits.Value, metrics, cancellationToken);
            }

            if (position < upload.SizeBytes)
            {
                await uploads.TouchAsync(session.Id, CancellationToken.None);
                throw Problem.FailedPrecondition("UPLOAD_INCOMPLETE", upload.Name,
                    $"The stream ended after {position} of {upload.SizeBytes} bytes. The bytes are kept: resume with offset {position}.");
            }

            string sha256 = await FileHashes.Sha256Async(session.PartPath, 0, cancellationToken);
            if (sha256 != upload.Sha256)
            {
                await uploads.RemoveAsync(session.Id, CancellationToken.None);
                logger.LogWarning("Upload of '{Name}' discarded: SHA-256 {Actual} does not match {Expected}", upload.Name, sha256, upload.Sha256);
                throw Problem.DataLoss($"The received {upload.SizeBytes} bytes have SHA-256 {sha256}, but the header announced {upload.Sha256}. The upload was discarded; check the file and upload it again.");
            }

            TResult result = await commit(session.PartPath, sha256);
            await uploads.RemoveAsync(session.Id, CancellationToken.None);
            return result;
        }
    }
}
