using System.Runtime.CompilerServices;
using Disco.Geo.Protos.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Disco.Geo.Client;

/// <summary>
/// Datasets on a Disco.Geo server: resumable uploads, listing, ingest and verification jobs, downloads, GeoTIFF/COG
/// exports and tile streams. Reached through <see cref="DiscoClient.Datasets"/>; thread-safe.
/// </summary>
public sealed class DatasetsClient
{
    private readonly DiscoCalls _calls;
    private readonly DatasetService.DatasetServiceClient _stub;

    internal DatasetsClient(DiscoCalls calls, DatasetService.DatasetServiceClient stub)
    {
        _calls = calls;
        _stub = stub;
    }

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

    /// <summary>Lists datasets, page by page.</summary>
    /// <param name="kind">Only this kind, or Unspecified for all.</param>
    /// <param name="namePrefix">Only names starting with this, or null.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public IAsyncEnumerable<Dataset> ListAsync(DatasetKind kind = DatasetKind.Unspecified, string? namePrefix = null, CancellationToken cancellationToken = default) =>
        _calls.PagesAsync(
            (token, o) => _stub.ListDatasetsAsync(new ListDatasetsRequest { PageToken = token, Kind = kind, NamePrefix = namePrefix ?? "" }, o),
            (ListDatasetsResponse r) => (r.Datasets, r.NextPageToken), cancellationToken);

    /// <summary>A dataset by id or name.</summary>
    /// <param name="dataset">Id (ds_...) or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Dataset> GetAsync(string dataset, CancellationToken cancellationToken = default) =>
        _calls.UnaryAsync(o => _stub.GetDatasetAsync(new GetDatasetRequest { Dataset = dataset }, o), cancellationToken);

    /// <summary>Deletes a dataset by id or name.</summary>
    /// <param name="dataset">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<DeleteDatasetResponse> DeleteAsync(string dataset, CancellationToken cancellationToken = default) =>
        _calls.UnaryAsync(o => _stub.DeleteDatasetAsync(new DeleteDatasetRequest { Dataset = dataset }, o), cancellationToken);

    /// <summary>Starts an ingest job; a request id is added when missing so a retried call cannot start two jobs.</summary>
    /// <param name="request">Source, grid and bands.</param>
    /// <param name="cancellationToken">Cancels the call (not the job).</param>
    public Task<Job> IngestAsync(IngestDatasetRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequestId.Length == 0)
        {
            request = request.Clone();
            request.RequestId = Guid.NewGuid().ToString("N");
        }

        return _calls.UnaryAsync(o => _stub.IngestDatasetAsync(request, o), cancellationToken);
    }

    /// <summary>Starts a job that re-reads the dataset's blobs and checks their SHA-256.</summary>
    /// <param name="dataset">Id or name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Job> VerifyAsync(string dataset, CancellationToken cancellationToken = default) =>
        _calls.UnaryAsync(o => _stub.VerifyDatasetAsync(new VerifyDatasetRequest { Dataset = dataset }, o), cancellationToken);

    /// <summary>Downloads a raw dataset's file into <paramref name="destination"/>, resuming after broken connections.</summary>
    /// <param name="dataset">Id or name of a raw dataset.</param>
    /// <param name="destination">Receives the bytes from its current position.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <exception cref="DiscoException">The server refused, or the dataset is gridded (FAILED_PRECONDITION).</exception>
    public async Task<Dataset> DownloadAsync(string dataset, Stream destination, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Dataset? info = null;
        await ChunkTransfer.ReceiveFileAsync(
            _calls,
            (offset, o) => _stub.DownloadDataset(new DownloadDatasetRequest { Dataset = dataset, Offset = offset }, o),
            message => message.Chunk,
            message =>
            {
                if (message.Dataset is { } described)
                {
                    info = described;
                    if (info.Kind != DatasetKind.RawFile)
                    {
                        throw new DiscoException(new RpcException(new Status(StatusCode.FailedPrecondition,
                            $"Dataset '{info.Name}' is gridded, not a raw file; export it with ExportAsync (a GeoTIFF/COG) or read it with DownloadTilesAsync.")));
                    }
                }
            },
            () => info?.Blob.SizeBytes ?? 0, destination, resume: true, progress, cancellationToken);
        return info ?? throw new InvalidDataException("The server ended the download without describing the dataset.");
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
    public Task<FileMetadata> ExportAsync(string dataset, string destinationPath, ExportFormat format = ExportFormat.Cog,
        IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ChunkTransfer.ReceiveToFileAsync(
            _calls, (_, o) => _stub.ExportDataset(new ExportDatasetRequest { Dataset = dataset, Format = format }, o),
            message => message.File, message => message.Chunk, destinationPath,
            resume: false, verifySha256: false, sidecar: true, progress, cancellationToken);

    /// <summary>
    /// Saves a dataset to a file: a raw dataset's file as it was uploaded, a gridded dataset exported as a COG (see
    /// <see cref="ExportAsync"/>). Written to destinationPath.part and renamed; nothing is left behind on failure.
    /// </summary>
    /// <param name="dataset">Id or name.</param>
    /// <param name="destinationPath">The file to create or replace.</param>
    /// <param name="progress">Transfer progress, or null.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The dataset and the size of the written file in bytes.</returns>
    /// <exception cref="DiscoException">The server refused or failed.</exception>
    public async Task<(Dataset Dataset, long Bytes)> SaveAsync(string dataset, string destinationPath, IProgress<TransferProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Dataset info = await GetAsync(dataset, cancellationToken);
        if (info.Kind == DatasetKind.Gridded)
        {
            FileMetadata file = await ExportAsync(info.Id, destinationPath, ExportFormat.Cog, progress, cancellationToken);
            return (info, file.SizeBytes);
        }

        string temporary = destinationPath + ".part";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                info = await DownloadAsync(info.Id, file, progress, cancellationToken);
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
        await foreach (DownloadDatasetResponse message in _calls.StreamAsync(
            o => _stub.DownloadDataset(new DownloadDatasetRequest { Dataset = dataset, RowsPerTile = rowsPerTile }, o), cancellationToken))
        {
            if (message.Tile is { } tile)
            {
                yield return tile;
            }
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

    private static bool IsResumable(RpcException e) =>
        DiscoCalls.IsTransient(e) || e.StatusCode == StatusCode.Aborted
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

    private async Task<UploadFileResponse> UploadAsync(string path, string? name, string? knownSha256, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new FileNotFoundException($"No file at {path}.", path);
        }

        string datasetName = name ?? SuggestName(file.Name);
        string sha256 = knownSha256 ?? await ChunkTransfer.HashAsync(file, progress, cancellationToken);
        var query = new GetUploadStatusRequest { Name = datasetName, SizeBytes = file.Length, Sha256 = sha256 };
        int failures = 0;
        while (true)
        {
            UploadStatus status = await _calls.UnaryAsync(o => _stub.GetUploadStatusAsync(query, o), cancellationToken);
            if (status.State == UploadState.Complete)
            {
                progress?.Report(new TransferProgress(TransferPhase.Complete, file.Length, file.Length, 0));
                Dataset existing = await GetAsync(status.DatasetId, cancellationToken);
                return new UploadFileResponse { Dataset = existing, AlreadyExisted = true };
            }

            long offset = status.CommittedBytes;
            try
            {
                using AsyncClientStreamingCall<UploadFileRequest, UploadFileResponse> call = _stub.UploadFile(_calls.CallOptions(null, cancellationToken));
                var header = new UploadFileRequest
                {
                    Header = new UploadHeader { Name = datasetName, SizeBytes = file.Length, Sha256 = sha256, Offset = offset, FileName = file.Name },
                };
                UploadFileResponse response = await ChunkTransfer.SendFileAsync(
                    call, header, chunk => new UploadFileRequest { Chunk = chunk }, file, offset, _calls.Options.ChunkBytes, progress, cancellationToken);
                progress?.Report(new TransferProgress(TransferPhase.Complete, file.Length, file.Length, 0));
                return response;
            }
            catch (RpcException e) when (IsResumable(e) && !cancellationToken.IsCancellationRequested)
            {
                // Count only failures without progress, so a long upload over a flaky link keeps going.
                UploadStatus after = await TryStatusAsync(query, cancellationToken);
                failures = after.CommittedBytes > offset ? 1 : failures + 1;
                if (failures >= _calls.Options.MaxAttempts)
                {
                    throw new DiscoException(e);
                }

                progress?.Report(new TransferProgress(TransferPhase.Retrying, after.CommittedBytes, file.Length, 0));
                await Task.Delay(_calls.Backoff(failures), cancellationToken);
            }
            catch (RpcException e) when (DiscoCalls.IsCancellation(e, cancellationToken))
            {
                throw new OperationCanceledException("The upload was cancelled; the bytes sent so far are kept for a resume.", e, cancellationToken);
            }
            catch (RpcException e)
            {
                throw new DiscoException(e);
            }
        }
    }

    private async Task<UploadStatus> TryStatusAsync(GetUploadStatusRequest query, CancellationToken cancellationToken)
    {
        try
        {
            return await _calls.UnaryAsync(o => _stub.GetUploadStatusAsync(query, o), cancellationToken);
        }
        catch (DiscoException)
        {
            // Unknown progress counts as none, so the failure still counts towards giving up.
            return new UploadStatus();
        }
    }
}
