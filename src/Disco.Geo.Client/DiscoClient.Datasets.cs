using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Disco.Geo.Protos.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Disco.Geo.Client;

public sealed partial class DiscoClient
{
    /// <summary>
    /// Uploads a file as a raw dataset. Hashes it first, asks the server what it already has, sends the rest in chunks,
    /// and after a failure (server restart, broken connection) asks again and continues from the committed offset.
    /// Uploading the same name and content again returns the existing dataset without sending anything.
    /// </summary>
    /// <param name="path">The local file.</param>
    /// <param name="name">Dataset name; null = the file name.</param>
    /// <param name="progress">Hashing and transfer progress, or null.</param>
    /// <param name="cancellationToken">Stops the upload; committed bytes stay on the server for a later resume.</param>
    public Task<UploadFileResponse> UploadFileAsync(string path, string? name = null, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default) =>
        UploadAsync(path, name, null, progress, cancellationToken);

    /// <summary>
    /// Uploads a file whose SHA-256 the caller already computed (e.g. to name the dataset), so it is not read twice.
    /// The server checks the hash against the bytes it receives and refuses the upload when they differ.
    /// </summary>
    /// <param name="path">The local file.</param>
    /// <param name="name">Dataset name; null = the file name.</param>
    /// <param name="knownSha256">The file's SHA-256 as 64 lowercase hex digits.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Stops the upload; committed bytes stay on the server for a later resume.</param>
    public Task<UploadFileResponse> UploadFileAsync(string path, string? name, string knownSha256, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (knownSha256 is not { Length: 64 } || !knownSha256.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("A SHA-256 is 64 lowercase hex digits.", nameof(knownSha256));
        }

        return UploadAsync(path, name, knownSha256, progress, cancellationToken);
    }

    private async Task<UploadFileResponse> UploadAsync(string path, string? name, string? knownSha256, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new FileNotFoundException($"No file at {path}.", path);
        }

        string datasetName = name ?? SuggestName(file.Name);
        string sha256 = knownSha256 ?? await HashAsync(file, progress, cancellationToken);
        int failures = 0;
        while (true)
        {
            UploadStatus status = await UnaryAsync(
                o => Datasets.GetUploadStatusAsync(new GetUploadStatusRequest { Name = datasetName, SizeBytes = file.Length, Sha256 = sha256 }, o), cancellationToken);
            if (status.State == UploadState.Complete)
            {
                progress?.Report(new TransferProgress(TransferPhase.Complete, file.Length, file.Length, 0));
                Dataset existing = await GetDatasetAsync(status.DatasetId, cancellationToken);
                return new UploadFileResponse { Dataset = existing, AlreadyExisted = true };
            }

            long offset = status.CommittedBytes;
            try
            {
                UploadFileResponse response = await SendFromAsync(file, datasetName, sha256, offset, progress, cancellationToken);
                progress?.Report(new TransferProgress(TransferPhase.Complete, file.Length, file.Length, 0));
                return response;
            }
            catch (RpcException e) when (IsResumable(e) && !cancellationToken.IsCancellationRequested)
            {
                // Count only failures without progress, so a long upload over a flaky link keeps going.
                UploadStatus after = await TryStatusAsync(datasetName, file.Length, sha256, cancellationToken);
                failures = after.CommittedBytes > offset ? 1 : failures + 1;
                if (failures >= _options.MaxAttempts)
                {
                    throw new DiscoException(e);
                }

                progress?.Report(new TransferProgress(TransferPhase.Retrying, after.CommittedBytes, file.Length, 0));
                await Task.Delay(Backoff(failures), cancellationToken);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The upload was cancelled; the bytes sent so far are kept for a resume.", e, cancellationToken);
            }
            catch (RpcException e)
            {
                throw new DiscoException(e);
            }
        }
    }

    /// <summary>Lists datasets, page by page.</summary>
    /// <param name="kind">Only this kind, or Unspecified for all.</param>
    /// <param name="namePrefix">Only names starting with this, or null.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public IAsyncEnumerable<Dataset> ListDatasetsAsync(DatasetKind kind = DatasetKind.Unspecified, string? namePrefix = null, CancellationToken cancellationToken = default) =>
        PagesAsync(
            (token, o) => Datasets.ListDatasetsAsync(new ListDatasetsRequest { PageToken = token, Kind = kind, NamePrefix = namePrefix ?? "" }, o),
            (ListDatasetsResponse r) => (r.Datasets, r.NextPageToken), cancellationToken);

    /// <summary>A dataset by id or name.</summary>
    /// <param name="dataset">Id (ds_...) or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Dataset> GetDatasetAsync(string dataset, CancellationToken cancellationToken = default) =>
        UnaryAsync(o => Datasets.GetDatasetAsync(new GetDatasetRequest { Dataset = dataset }, o), cancellationToken);

    /// <summary>Deletes a dataset by id or name.</summary>
    /// <param name="dataset">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<DeleteDatasetResponse> DeleteDatasetAsync(string dataset, CancellationToken cancellationToken = default) =>
        UnaryAsync(o => Datasets.DeleteDatasetAsync(new DeleteDatasetRequest { Dataset = dataset }, o), cancellationToken);

    /// <summary>Starts an ingest job.</summary>
    /// <param name="request">Source, grid and bands.</param>
    /// <param name="cancellationToken">Cancels the call (not the job).</param>
    public Task<Job> IngestDatasetAsync(IngestDatasetRequest request, CancellationToken cancellationToken = default)
    {
        if (request.RequestId.Length == 0)
        {
            request = request.Clone();
            request.RequestId = Guid.NewGuid().ToString("N");
        }

        return UnaryAsync(o => Datasets.IngestDatasetAsync(request, o), cancellationToken);
    }

    /// <summary>Starts a job that re-reads the dataset's blobs and checks their SHA-256.</summary>
    /// <param name="dataset">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Job> VerifyDatasetAsync(string dataset, CancellationToken cancellationToken = default) =>
        UnaryAsync(o => Datasets.VerifyDatasetAsync(new VerifyDatasetRequest { Dataset = dataset }, o), cancellationToken);

    /// <summary>Downloads a raw dataset's file into <paramref name="destination"/>, resuming after broken connections.</summary>
    /// <param name="dataset">Id or name of a raw dataset.</param>
    /// <param name="destination">Receives the bytes from its current position.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    public async Task<Dataset> DownloadDatasetAsync(string dataset, Stream destination, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        long offset = 0;
        Dataset? info = null;
        var clock = Stopwatch.StartNew();
        for (int failures = 0; ;)
        {
            try
            {
                using AsyncServerStreamingCall<DownloadDatasetResponse> call = Datasets.DownloadDataset(
                    new DownloadDatasetRequest { Dataset = dataset, Offset = offset }, CallOptions(null, cancellationToken));
                await foreach (DownloadDatasetResponse message in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    switch (message.MessageCase)
                    {
                        case DownloadDatasetResponse.MessageOneofCase.Dataset:
                            info = message.Dataset;
                            if (info.Kind != DatasetKind.RawFile)
                            {
                                throw new DiscoException(new RpcException(new Status(StatusCode.FailedPrecondition,
                                    $"Dataset '{info.Name}' is gridded, not a raw file; export it with ExportDatasetAsync (a GeoTIFF/COG) or read it with DownloadTilesAsync.")));
                            }

                            break;
                        case DownloadDatasetResponse.MessageOneofCase.Chunk:
                            if (message.Chunk.Offset != offset)
                            {
                                throw new InvalidDataException($"The server sent offset {message.Chunk.Offset}, expected {offset}.");
                            }

                            await destination.WriteAsync(message.Chunk.Data.Memory, cancellationToken);
                            offset += message.Chunk.Data.Length;
                            failures = 0;
                            progress?.Report(new TransferProgress(TransferPhase.Transferring, offset, info?.Blob.SizeBytes ?? 0, offset / Math.Max(clock.Elapsed.TotalSeconds, 1e-3)));
                            break;
                    }
                }

                return info ?? throw new InvalidDataException("The server ended the download without describing the dataset.");
            }
            catch (RpcException e) when (IsTransient(e) && ++failures < _options.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Backoff(failures), cancellationToken);
            }
            catch (RpcException e) when (!(e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested))
            {
                throw new DiscoException(e);
            }
        }
    }

    /// <summary>
    /// Exports a gridded dataset as a GeoTIFF or COG (the prediction exports' layout, one band per dataset band, label
    /// bands with class names in destinationPath.aux.xml). Written to destinationPath.part, checked, then renamed;
    /// nothing is left behind on failure.
    /// </summary>
    /// <param name="dataset">Id or name of a gridded dataset.</param>
    /// <param name="destinationPath">The file to create or replace.</param>
    /// <param name="format">COG (default) or GeoTIFF.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the export.</param>
    /// <exception cref="DiscoException">The server refused (unknown or raw dataset, …).</exception>
    public Task<FileMetadata> ExportDatasetAsync(string dataset, string destinationPath, ExportFormat format = ExportFormat.Cog,
        IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ReceiveFileAsync(
            options => Datasets.ExportDataset(new ExportDatasetRequest { Dataset = dataset, Format = format }, options),
            message => message.File, message => message.Chunk, destinationPath, progress, cancellationToken);

    /// <summary>
    /// Saves a dataset to a file: a raw dataset's file as it was uploaded, a gridded dataset exported as a COG (see
    /// <see cref="ExportDatasetAsync"/>). Written to destinationPath.part and renamed; nothing is left behind on failure.
    /// </summary>
    /// <param name="dataset">Id or name.</param>
    /// <param name="destinationPath">The file to create or replace.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The dataset and the size of the written file in bytes.</returns>
    /// <exception cref="DiscoException">The server refused or failed.</exception>
    public async Task<(Dataset Dataset, long Bytes)> SaveDatasetAsync(string dataset, string destinationPath, IProgress<TransferProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Dataset info = await GetDatasetAsync(dataset, cancellationToken);
        if (info.Kind == DatasetKind.Gridded)
        {
            FileMetadata file = await ExportDatasetAsync(info.Id, destinationPath, ExportFormat.Cog, progress, cancellationToken);
            return (info, file.SizeBytes);
        }

        string temporary = destinationPath + ".part";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                info = await DownloadDatasetAsync(info.Id, file, progress, cancellationToken);
            }

            File.Move(temporary, destinationPath, overwrite: true);
            return (info, info.Blob.SizeBytes);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Streams a gridded dataset as latitude-band tiles (after the dataset header).</summary>
    /// <param name="dataset">Id or name of a gridded dataset.</param>
    /// <param name="rowsPerTile">Rows per tile, 0 = the server's choice.</param>
    /// <param name="cancellationToken">Stops the stream.</param>
    public async IAsyncEnumerable<Tile> DownloadTilesAsync(string dataset, int rowsPerTile = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using AsyncServerStreamingCall<DownloadDatasetResponse> call = Datasets.DownloadDataset(
            new DownloadDatasetRequest { Dataset = dataset, RowsPerTile = rowsPerTile }, CallOptions(null, cancellationToken));
        IAsyncEnumerator<DownloadDatasetResponse> messages = call.ResponseStream.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (await MoveNextAsync(messages))
            {
                if (messages.Current.Tile is { } tile)
                {
                    yield return tile;
                }
            }
        }
        finally
        {
            await messages.DisposeAsync();
        }
    }

    /// <summary>A dataset name derived from a file name: its stem with characters outside [A-Za-z0-9._-] replaced.</summary>
    /// <param name="fileName">The file name.</param>
    public static string SuggestName(string fileName)
    {
        string stem = Path.GetFileNameWithoutExtension(fileName);
        var chars = stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-').ToArray();
        string name = new string(chars).TrimStart('.', '_', '-');
        return name.Length == 0 ? "dataset" : name.Length > 128 ? name[..128] : name;
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    /// <param name="file">The file.</param>
    /// <param name="progress">Hashing progress, or null.</param>
    /// <param name="cancellationToken">Cancels hashing.</param>
    public static async Task<string> HashAsync(FileInfo file, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan | FileOptions.Asynchronous);
        byte[] buffer = new byte[1 << 20];
        long done = 0;
        var clock = Stopwatch.StartNew();
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            done += read;
            progress?.Report(new TransferProgress(TransferPhase.Hashing, done, file.Length, done / Math.Max(clock.Elapsed.TotalSeconds, 1e-3)));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private async Task<UploadFileResponse> SendFromAsync(FileInfo file, string name, string sha256, long offset, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        using AsyncClientStreamingCall<UploadFileRequest, UploadFileResponse> call = Datasets.UploadFile(CallOptions(null, cancellationToken));
        if (!await TryWriteAsync(call.RequestStream, new UploadFileRequest
        {
            Header = new UploadHeader { Name = name, SizeBytes = file.Length, Sha256 = sha256, Offset = offset, FileName = file.Name },
        }, cancellationToken))
        {
            return await call.ResponseAsync;
        }

        await using (var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan | FileOptions.Asynchronous))
        {
            stream.Position = offset;
            var clock = Stopwatch.StartNew();
            long start = offset;
            while (offset < file.Length)
            {
                byte[] buffer = new byte[(int)Math.Min(_options.ChunkBytes, file.Length - offset)];
                int read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
                if (read < buffer.Length)
                {
                    throw new IOException($"{file.FullName} changed while it was being uploaded (it is shorter than when it was hashed).");
                }

                if (!await TryWriteAsync(call.RequestStream, new UploadFileRequest { Chunk = new FileChunk { Offset = offset, Data = UnsafeByteOperations.UnsafeWrap(buffer) } }, cancellationToken))
                {
                    break;
                }

                offset += read;
                progress?.Report(new TransferProgress(TransferPhase.Transferring, offset, file.Length, (offset - start) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3)));
            }
        }

        try
        {
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException && !cancellationToken.IsCancellationRequested)
        {
        }

        return await call.ResponseAsync;
    }

    /// <summary>
    /// Writes one message of a client stream. False when the stream is already over: the server rejected it or the
    /// connection broke; the call's status (awaited by the caller) then says which.
    /// </summary>
    internal static async Task<bool> TryWriteAsync<T>(IClientStreamWriter<T> writer, T message, CancellationToken cancellationToken)
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

    private async Task<UploadStatus> TryStatusAsync(string name, long size, string sha256, CancellationToken cancellationToken)
    {
        try
        {
            return await UnaryAsync(o => Datasets.GetUploadStatusAsync(new GetUploadStatusRequest { Name = name, SizeBytes = size, Sha256 = sha256 }, o), cancellationToken);
        }
        catch (DiscoException)
        {
            return new UploadStatus();
        }
    }

    private static bool IsResumable(RpcException e) =>
        IsTransient(e) || e.StatusCode == StatusCode.Aborted
        || (e.StatusCode == StatusCode.FailedPrecondition && PreconditionType(e) == "UPLOAD_INCOMPLETE");

    private static string? PreconditionType(RpcException e)
    {
        try
        {
            return e.GetRpcStatus()?.GetDetail<Google.Rpc.PreconditionFailure>()?.Violations.FirstOrDefault()?.Type;
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private static async ValueTask<bool> MoveNextAsync<T>(IAsyncEnumerator<T> enumerator)
    {
        try
        {
            return await enumerator.MoveNextAsync();
        }
        catch (RpcException e)
        {
            throw new DiscoException(e);
        }
    }
}
