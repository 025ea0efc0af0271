using System.Diagnostics;
using System.Security.Cryptography;
using Disco.Geo.Protos.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Disco.Geo.Client;

/// <summary>
/// The one send loop (uploads, model imports) and the one receive loop (downloads, dataset, prediction and model
/// exports) for files carried as <see cref="FileChunk"/> messages, so offsets, progress and failure handling agree.
/// </summary>
internal static class ChunkTransfer
{
    private const FileOptions SequentialRead = FileOptions.SequentialScan | FileOptions.Asynchronous;

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static async Task<string> HashAsync(FileInfo file, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 0, SequentialRead);
        byte[] buffer = new byte[DiscoClientOptions.TransferChunkBytes];
        long done = 0;
        var clock = Stopwatch.StartNew();
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            done += read;
            progress?.Report(new TransferProgress(TransferPhase.Hashing, done, file.Length, Rate(done, clock)));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Sends <paramref name="header"/>, then the file from <paramref name="offset"/> in chunks of
    /// <see cref="DiscoClientOptions.ChunkBytes"/>, and returns the server's answer. A write that fails because the
    /// server already ended the call stops sending: the call's status, thrown by the response, says why.
    /// </summary>
    /// <param name="call">A freshly started client-streaming call; the caller disposes it.</param>
    /// <param name="header">The first message.</param>
    /// <param name="chunk">Wraps a chunk into a request message.</param>
    /// <param name="file">The local file; it must not shrink while it is sent.</param>
    /// <param name="offset">First byte to send (what the server already committed).</param>
    /// <param name="chunkBytes">Bytes per chunk.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Stops sending.</param>
    public static async Task<TResponse> SendFileAsync<TRequest, TResponse>(
        AsyncClientStreamingCall<TRequest, TResponse> call, TRequest header, Func<FileChunk, TRequest> chunk, FileInfo file, long offset, int chunkBytes,
        IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        if (await TryWriteAsync(call.RequestStream, header, cancellationToken))
        {
            await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 0, SequentialRead);
            stream.Position = offset;
            var clock = Stopwatch.StartNew();
            long start = offset;
            while (offset < file.Length)
            {
                // A fresh buffer per chunk: the message wraps it without a copy and may still be queued when the next is read.
                byte[] buffer = new byte[(int)Math.Min(chunkBytes, file.Length - offset)];
                int read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
                if (read < buffer.Length)
                {
                    throw new IOException($"{file.FullName} changed while it was being sent (it is shorter than when it was hashed).");
                }

                if (!await TryWriteAsync(call.RequestStream, chunk(new FileChunk { Offset = offset, Data = UnsafeByteOperations.UnsafeWrap(buffer) }), cancellationToken))
                {
                    break;
                }

                offset += read;
                progress?.Report(new TransferProgress(TransferPhase.Transferring, offset, file.Length, Rate(offset - start, clock)));
            }

            try
            {
                await call.RequestStream.CompleteAsync();
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or IOException && !cancellationToken.IsCancellationRequested)
            {
                // The server ended the call first; its status comes with the response below.
            }
        }

        return await call.ResponseAsync;
    }

    /// <summary>
    /// Receives a file's chunks, from byte 0, into <paramref name="destination"/> at its current position. With
    /// <paramref name="resume"/>, a broken connection or restarting server is retried from the bytes already written
    /// (the start function gets that offset) until <see cref="DiscoClientOptions.MaxAttempts"/> attempts in a row
    /// bring nothing. Every other message (headers, metadata) goes to <paramref name="other"/>, which may throw to
    /// refuse the transfer.
    /// </summary>
    /// <param name="calls">Call policy.</param>
    /// <param name="start">Starts the stream at a byte offset.</param>
    /// <param name="chunk">The chunk a message carries, or null.</param>
    /// <param name="other">Handles a message without a chunk.</param>
    /// <param name="totalBytes">The file's size as far as known, for progress.</param>
    /// <param name="destination">Receives the bytes.</param>
    /// <param name="resume">Retry transient failures from the current offset.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Stops the transfer (an <see cref="OperationCanceledException"/>).</param>
    /// <returns>Bytes written in all.</returns>
    public static async Task<long> ReceiveFileAsync<TResponse>(
        DiscoCalls calls, Func<long, CallOptions, AsyncServerStreamingCall<TResponse>> start, Func<TResponse, FileChunk?> chunk, Action<TResponse> other,
        Func<long> totalBytes, Stream destination, bool resume, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        long offset = 0;
        var clock = Stopwatch.StartNew();
        for (int failures = 0; ;)
        {
            try
            {
                using AsyncServerStreamingCall<TResponse> call = start(offset, calls.CallOptions(null, cancellationToken));
                await foreach (TResponse message in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    if (chunk(message) is not { } data)
                    {
                        other(message);
                        continue;
                    }

                    if (data.Offset != offset)
                    {
                        throw new InvalidDataException($"The server sent offset {data.Offset}, expected {offset}; nothing was written.");
                    }

                    await destination.WriteAsync(data.Data.Memory, cancellationToken);
                    offset += data.Data.Length;
                    failures = 0;
                    progress?.Report(new TransferProgress(TransferPhase.Transferring, offset, totalBytes(), Rate(offset, clock)));
                }

                return offset;
            }
            catch (RpcException e) when (resume && DiscoCalls.IsTransient(e) && ++failures < calls.Options.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                progress?.Report(new TransferProgress(TransferPhase.Retrying, offset, totalBytes(), 0));
                await Task.Delay(calls.Backoff(failures), cancellationToken);
            }
            catch (RpcException e) when (DiscoCalls.IsCancellation(e, cancellationToken))
            {
                throw new OperationCanceledException("The transfer was cancelled.", e, cancellationToken);
            }
            catch (RpcException e)
            {
                throw new DiscoException(e);
            }
        }
    }

    /// <summary>
    /// Receives a file announced by a <see cref="FileMetadata"/> message into DESTINATION.part, checks its size (and
    /// SHA-256 when asked), renames it into place and, when asked, writes GDAL's sidecar as DESTINATION.aux.xml. Nothing
    /// is left behind on failure, so a half-received file is never mistaken for a finished one.
    /// </summary>
    /// <param name="calls">Call policy.</param>
    /// <param name="start">Starts the stream at a byte offset (ignored by streams that cannot resume).</param>
    /// <param name="metadata">The file description a message carries, or null.</param>
    /// <param name="chunk">The chunk a message carries, or null.</param>
    /// <param name="destinationPath">The file to create or replace.</param>
    /// <param name="resume">Retry transient failures from the bytes already received.</param>
    /// <param name="verifySha256">Hash the received file and compare with the announced SHA-256.</param>
    /// <param name="sidecar">Write (or remove a stale) DESTINATION.aux.xml, and the STAC Item of a prediction export (see <see cref="StacItemFiles"/>).</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Stops the transfer.</param>
    public static async Task<FileMetadata> ReceiveToFileAsync<TResponse>(
        DiscoCalls calls, Func<long, CallOptions, AsyncServerStreamingCall<TResponse>> start, Func<TResponse, FileMetadata?> metadata,
        Func<TResponse, FileChunk?> chunk, string destinationPath, bool resume, bool verifySha256, bool sidecar,
        IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        string temporary = destinationPath + ".part";
        FileMetadata? announced = null;
        try
        {
            long received;
            await using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                received = await ReceiveFileAsync(
                    calls, start, chunk, message => announced = metadata(message) ?? announced, () => announced?.SizeBytes ?? 0,
                    output, resume, progress, cancellationToken);
                await output.FlushAsync(cancellationToken);
            }

            if (announced is null || received != announced.SizeBytes)
            {
                throw new InvalidDataException("The transfer ended early; nothing was written.");
            }

            if (verifySha256)
            {
                string sha256 = await HashAsync(new FileInfo(temporary), null, cancellationToken);
                if (sha256 != announced.Sha256)
                {
                    throw new InvalidDataException($"The received file has SHA-256 {sha256}, but the server announced {announced.Sha256}; nothing was written.");
                }
            }

            File.Move(temporary, destinationPath, overwrite: true);
            if (sidecar)
            {
                string auxXml = destinationPath + ".aux.xml";
                if (announced.AuxXml.Length > 0)
                {
                    await File.WriteAllTextAsync(auxXml, announced.AuxXml, cancellationToken);
                }
                else
                {
                    // A sidecar left from an earlier file of that name would describe the wrong raster.
                    File.Delete(auxXml);
                }

                if (announced.StacItemJson.Length > 0)
                {
                    await StacItemFiles.WriteBesideAsync(destinationPath, announced.StacItemJson, cancellationToken);
                }
            }

            progress?.Report(new TransferProgress(TransferPhase.Complete, announced.SizeBytes, announced.SizeBytes, 0));
            return announced;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// Writes one message of a client stream. False when the stream is already over: the server rejected it or the
    /// connection broke; the call's status (awaited by the caller) then says which.
    /// </summary>
    public static async Task<bool> TryWriteAsync<T>(IClientStreamWriter<T> writer, T message, CancellationToken cancellationToken)
    {
        try
        {
            await writer.WriteAsync(message, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static double Rate(long bytes, Stopwatch clock) => bytes / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
}
