using Disco.Geo.Engine;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Application.Exports;
using Disco.Geo.Server.Application.Queries;
using Disco.Geo.Server.Application.Tiles;
using Disco.Geo.Server.Application.Transfers;
using Disco.Geo.Server.Application.Uploads;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Jobs.Handlers;
using Disco.Geo.Server.Jobs.Sources;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Services;

/// <summary>DatasetService: resumable uploads, ingest, listing, deletion, download and verification.</summary>
internal sealed class DatasetGrpcService(
    ICatalog catalog,
    IBlobStore blobs,
    IUploadStore uploads,
    UploadReceiver receiver,
    FileTransfers transfers,
    FileExports exports,
    JobRunner runner,
    ActiveJobs activeJobs,
    ImportRoots importRoots,
    SourceSandboxes sandboxes,
    ServerMetrics metrics,
    IIngestEngine ingestEngine,
    IDatasetExporter exporter,
    IOptions<LimitsOptions> limitOptions,
    IOptions<JobsOptions> jobOptions,
    ILogger<DatasetGrpcService> logger) : DatasetService.DatasetServiceBase
{
    private readonly LimitsOptions _limits = limitOptions.Value;

    public override async Task<UploadFileResponse> UploadFile(IAsyncStreamReader<UploadFileRequest> requestStream, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken) || requestStream.Current.MessageCase != UploadFileRequest.MessageOneofCase.Header)
        {
            throw Problem.InvalidArgument("header", "the first message of an upload must be the header (name, size_bytes, sha256, offset).");
        }

        UploadHeader header = requestStream.Current.Header;
        ValidateHeader(header);
        Dataset? existing = (await catalog.FindDatasetAsync(header.Name, cancellationToken))?.ToApi();
        ThrowIfTakenByOtherContent(existing, header.Name, header.Sha256);
        if (existing is not null)
        {
            return new UploadFileResponse { Dataset = existing, AlreadyExisted = true };
        }

        UploadSession session = await uploads.GetOrCreateAsync(header.ToRecord(), cancellationToken);
        return await receiver.ReceiveAsync(
            session, new UploadReceiver.Announced(header.Name, header.SizeBytes, header.Sha256, header.Offset), ChunksOf(requestStream, cancellationToken),
            (partPath, sha256) => CommitUploadAsync(partPath, sha256, header), cancellationToken);
    }

    public override async Task<UploadStatus> GetUploadStatus(GetUploadStatusRequest request, ServerCallContext context)
    {
        var violations = new List<(string, string)>();
        Validation.AddNameViolation(violations, "name", request.Name);
        Validation.AddSha256Violation(violations, "sha256", request.Sha256);
        if (request.SizeBytes <= 0)
        {
            violations.Add(("size_bytes", "must be the file's size in bytes (at least 1)."));
        }

        Validation.ThrowIfAny(violations);

        // Refuse here what the upload's header would be refused for, so a client that asks first never starts a
        // stream only to be answered before its end (see Edge/RequestStreamDrainInterceptor.cs).
        Validation.ThrowIfOverUploadLimit("size_bytes", request.SizeBytes, _limits);
        var status = new UploadStatus { MinChunkBytes = _limits.MinChunkBytes, MaxChunkBytes = _limits.MaxChunkBytes, State = UploadState.NotStarted };
        Dataset? dataset = (await catalog.FindDatasetAsync(request.Name, context.CancellationToken))?.ToApi();
        ThrowIfTakenByOtherContent(dataset, request.Name, request.Sha256);
        if (dataset is not null)
        {
            status.State = UploadState.Complete;
            status.CommittedBytes = dataset.Blob.SizeBytes;
            status.DatasetId = dataset.Id;
            return status;
        }

        if (await uploads.FindAsync(request.Name, request.SizeBytes, request.Sha256, context.CancellationToken) is { } session)
        {
            status.CommittedBytes = session.CommittedBytes;
            status.State = UploadState.InProgress;
        }

        return status;
    }

    public override async Task<Job> IngestDataset(IngestDatasetRequest request, ServerCallContext context)
    {
        var violations = new List<(string, string)>();
        Validation.AddNameViolation(violations, "name", request.Name);
        Validation.AddGridViolations(violations, "grid", request.Grid, _limits);
        for (int i = 0; i < request.Bands.Count; i++)
        {
            BandSpec band = request.Bands[i];
            if (band.SourceBand < 1)
            {
                violations.Add(($"bands[{i}].source_band", "must be a 1-based band index of the source raster."));
            }

            if (band.SourceIndex < 0 || band.SourceIndex > request.AdditionalSources.Count)
            {
                violations.Add(($"bands[{i}].source_index", $"must be 0 (the main source) or 1..{request.AdditionalSources.Count} (an additional source)."));
            }

        }

        BoundsMapping.AddViolations(violations, "bounds", request.Bounds);
        if (request.Bounds is not null && request.SourceCase == IngestDatasetRequest.SourceOneofCase.Tiles)
        {
            violations.Add(("bounds", "places one image without georeferencing; tiles are mosaicked by their own georeferencing, so drop bounds."));
        }

        for (int i = 0; i < request.AdditionalSources.Count; i++)
        {
            BoundsMapping.AddViolations(violations, $"additional_sources[{i}].bounds", request.AdditionalSources[i].Bounds);
        }

        if (request.SourceCase == IngestDatasetRequest.SourceOneofCase.None)
        {
            violations.Add(("source", "is required: dataset_id of an upload, server_path, or tiles."));
        }

        SourceVariables.AddViolations(violations, "variable", request.Variable, request.SourceCase == IngestDatasetRequest.SourceOneofCase.Tiles ? "tiles" : null);
        for (int i = 0; i < request.AdditionalSources.Count; i++)
        {
            SourceVariables.AddViolations(violations, $"additional_sources[{i}].variable", request.AdditionalSources[i].Variable, null);
        }

        Validation.ThrowIfAny(violations);
        CancellationToken cancellationToken = context.CancellationToken;
        var spec = request.Clone();
        var inputs = new List<string>();
        switch (request.SourceCase)
        {
            case IngestDatasetRequest.SourceOneofCase.DatasetId:
                Dataset source = (await catalog.FindDatasetAsync(request.DatasetId, cancellationToken))?.ToApi() ?? throw Problem.NotFound("dataset", request.DatasetId);
                if (source.Kind != DatasetKind.RawFile)
                {
                    throw Problem.FailedPrecondition("DATASET_KIND", source.Id, $"Dataset '{source.Name}' is already gridded; ingest reads raw uploads or server-side files.");
                }

                spec.DatasetId = source.Id;
                inputs.Add(source.Id);
                break;
            case IngestDatasetRequest.SourceOneofCase.ServerPath:
                (string mainPath, string mainVariable) = SourceVariables.Split("server_path.path", request.ServerPath.Path, "variable", request.Variable);
                spec.ServerPath.Path = importRoots.Resolve("server_path.path", mainPath);
                spec.Variable = mainVariable;
                break;
            case IngestDatasetRequest.SourceOneofCase.Tiles:
                if (request.Tiles.Paths.Count == 0)
                {
                    throw Problem.InvalidArgument("tiles.paths", "must list at least one file.");
                }

                spec.Tiles.Paths.Clear();
                for (int i = 0; i < request.Tiles.Paths.Count; i++)
                {
                    spec.Tiles.Paths.Add(importRoots.Resolve($"tiles.paths[{i}]", request.Tiles.Paths[i]));
                }

                break;
        }

        spec.AdditionalSources.Clear();
        for (int i = 0; i < request.AdditionalSources.Count; i++)
        {
            RasterSource extra = request.AdditionalSources[i];
            string field = $"additional_sources[{i}]";
            switch (extra.LocationCase)
            {
                case RasterSource.LocationOneofCase.DatasetId:
                    Dataset raw = (await catalog.FindDatasetAsync(extra.DatasetId, cancellationToken))?.ToApi() ?? throw Problem.NotFound("dataset", extra.DatasetId);
                    if (raw.Kind != DatasetKind.RawFile)
                    {
                        throw Problem.FailedPrecondition("DATASET_KIND", raw.Id, $"{field}: dataset '{raw.Name}' is already gridded; additional sources are raw uploads or server-side files.");
                    }

                    spec.AdditionalSources.Add(new RasterSource { DatasetId = raw.Id, Variable = extra.Variable, Bounds = extra.Bounds });
                    inputs.Add(raw.Id);
                    break;
                case RasterSource.LocationOneofCase.ServerPath:
                    (string extraPath, string extraVariable) = SourceVariables.Split(field + ".server_path", extra.ServerPath, field + ".variable", extra.Variable);
                    spec.AdditionalSources.Add(new RasterSource { ServerPath = importRoots.Resolve(field + ".server_path", extraPath), Variable = extraVariable, Bounds = extra.Bounds });
                    break;
                default:
                    throw Problem.InvalidArgument(field, "needs dataset_id or server_path.");
            }
        }

        if (await catalog.FindDatasetAsync(request.Name, cancellationToken) is not null && !await runner.IsKnownRequestAsync(request.RequestId, cancellationToken))
        {
            throw Problem.AlreadyExists("dataset", request.Name, "Choose another name for the gridded dataset or delete the existing one.");
        }

        // Open every source once, now, to check the band specs against its bands; the job reuses what was read. The
        // band specs the ingest will use (defaults filled in) are what the job records.
        IngestInspection inspection;
        try
        {
            IngestWork work = await IngestJobHandler.WorkAsync(JobSpecReader.Ingest(spec), catalog, blobs, sandboxes, _limits.MaxRasterPixels, cancellationToken);
            inspection = await ingestEngine.InspectAsync(work, cancellationToken);
        }
        catch (EngineInputException e)
        {
            throw Problem.InvalidArgument(e.Field ?? "bands", e.Message);
        }
        catch (EngineAccessDeniedException e)
        {
            // Opening a source through its sandbox found a file outside what it may read: refused before a job exists.
            throw Problem.PermissionDenied(e.Message);
        }

        spec.Bands.Clear();
        spec.Bands.Add(inspection.Bands.Select(BandMapping.ToApi));
        return (await runner.SubmitAsync(new JobSubmission(
            JobKind.Ingest.ToRecord(), JobSpecs.Of(spec), jobOptions.Value.DefaultDevice, request.Priority, $"ingest '{request.Name}' onto {request.Grid.Kind} {request.Grid.Nlat}x{request.Grid.Nlon}",
            NullIfEmpty(request.RequestId), inputs, Prepared: inspection), cancellationToken)).ToApi();
    }

    public override async Task<ListDatasetsResponse> ListDatasets(ListDatasetsRequest request, ServerCallContext context)
    {
        PageRequest page = RecordQueries.Page(request.PageSize, request.PageToken);
        if (!System.Enum.IsDefined(request.Kind))
        {
            throw Problem.InvalidArgument("kind", "is not a known dataset kind.");
        }

        RecordPage<DatasetRecord> found = await catalog.ListDatasetsAsync(page.ToCatalogQuery() with
        {
            DatasetKind = request.Kind == DatasetKind.Unspecified ? null : request.Kind.ToRecord(),
            NamePrefix = request.NamePrefix,
        }, context.CancellationToken);
        var response = new ListDatasetsResponse { Datasets = { found.Items.Select(RecordMapping.ToApi) }, NextPageToken = RecordQueries.NextToken(found, d => d.Id) };

        return response;
    }

    public override async Task<Dataset> GetDataset(GetDatasetRequest request, ServerCallContext context) =>
        await FindAsync("dataset", request.Dataset, context.CancellationToken);

    public override async Task<DeleteDatasetResponse> DeleteDataset(DeleteDatasetRequest request, ServerCallContext context)
    {
        Dataset dataset = await FindAsync("dataset", request.Dataset, context.CancellationToken);
        await activeJobs.ThrowIfInUseAsync("dataset", dataset.Id, context.CancellationToken);
        long? freed = await catalog.DeleteDatasetAsync(dataset.Id, context.CancellationToken);
        if (freed is null)
        {
            throw Problem.NotFound("dataset", request.Dataset);
        }

        logger.LogInformation("Dataset {DatasetId} ('{Name}') deleted; {Bytes} bytes freed", dataset.Id, dataset.Name, freed);
        return new DeleteDatasetResponse { DatasetId = dataset.Id, FreedBytes = freed.Value };
    }

    public override async Task DownloadDataset(DownloadDatasetRequest request, IServerStreamWriter<DownloadDatasetResponse> responseStream, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        if (request.RowsPerTile < 0 || request.ChunkBytes < 0 || request.ChunkBytes > _limits.MaxChunkBytes)
        {
            throw Problem.InvalidArgument(request.RowsPerTile < 0 ? "rows_per_tile" : "chunk_bytes", $"must be 0 (server's choice) or positive; chunk_bytes at most {_limits.MaxChunkBytes}.");
        }

        Dataset dataset = await FindAsync("dataset", request.Dataset, cancellationToken);
        if (request.Offset < 0 || request.Offset > dataset.Blob.SizeBytes)
        {
            throw Problem.OutOfRange("offset", $"must be between 0 and the dataset's size, {dataset.Blob.SizeBytes} bytes.");
        }

        await responseStream.WriteAsync(new DownloadDatasetResponse { Dataset = dataset }, cancellationToken);
        if (dataset.Kind == DatasetKind.Gridded)
        {
            await TileWriter.WriteFileAsync(blobs.PathOf(dataset.Blob.Sha256), request.RowsPerTile, file => TileMapping.GeometryOf(dataset.Grid, file.NLon), _limits,
                tile => responseStream.WriteAsync(new DownloadDatasetResponse { Tile = TileMapping.ToApi(tile) }, cancellationToken), metrics, cancellationToken);
            return;
        }

        await transfers.SendStoredAsync(dataset.Blob.Sha256, request.Offset, request.ChunkBytes,
            piece => responseStream.WriteAsync(new DownloadDatasetResponse { Chunk = TransferMapping.ToApi(piece) }, cancellationToken), cancellationToken);
    }

    public override async Task ExportDataset(ExportDatasetRequest request, IServerStreamWriter<ExportDatasetResponse> responseStream, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        if (request.Format is not (ExportFormat.Unspecified or ExportFormat.Cog or ExportFormat.Geotiff))
        {
            throw Problem.InvalidArgument("format", "must be cog (the default) or geotiff; a dataset is exported as a raster.");
        }

        Dataset dataset = await FindAsync("dataset", request.Dataset, cancellationToken);
        if (dataset.Kind != DatasetKind.Gridded)
        {
            throw Problem.FailedPrecondition("DATASET_KIND", dataset.Id,
                $"Dataset '{dataset.Name}' is a raw file, not a grid; download it as it is with `disco datasets download`, or ingest it first.");
        }

        bool cog = request.Format != ExportFormat.Geotiff;

        // A time stack's file holds every step's bands in turn: the raster gets them all, described "<band>@<timestamp>".
        IReadOnlyList<DatasetBand> bands = BandMapping.ToEngine(dataset.Bands);
        if (dataset.TimeSteps.Count > 0)
        {
            bands = [.. dataset.TimeSteps.SelectMany(t => bands.Select(b => b with
            {
                Name = $"{b.Name}@{t.ToDateTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)}",
            }))];
        }

        await exports.ExportAsync(
            dataset.Id, ".tif",
            temp => exporter.ExportAsync(
                new GriddedDataset(dataset.Id, blobs.PathOf(dataset.Blob.Sha256), GridMapping.ToSphereGrid(dataset.Grid), bands), dataset.Name, cog, temp, cancellationToken),
            dataset.Name + ".tif",
            file => responseStream.WriteAsync(new ExportDatasetResponse { File = TransferMapping.ToApi(file) }, cancellationToken),
            piece => responseStream.WriteAsync(new ExportDatasetResponse { Chunk = TransferMapping.ToApi(piece) }, cancellationToken),
            cancellationToken);
    }

    public override async Task<Job> VerifyDataset(VerifyDatasetRequest request, ServerCallContext context)
    {
        Dataset dataset = await FindAsync("dataset", request.Dataset, context.CancellationToken);
        return (await runner.SubmitAsync(new JobSubmission(
            JobKind.Verify.ToRecord(), JobSpecs.Of(new VerifyDatasetRequest { Dataset = dataset.Id }), VerifyJobHandler.Lane, request.Priority, $"verify dataset '{dataset.Name}'", null, [dataset.Id]),
            context.CancellationToken)).ToApi();
    }

    /// <summary>The chunks after the header; null for a message that is not a chunk.</summary>
    private static async IAsyncEnumerable<FilePiece?> ChunksOf(
        IAsyncStreamReader<UploadFileRequest> requestStream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await requestStream.MoveNext(cancellationToken))
        {
            yield return requestStream.Current.MessageCase == UploadFileRequest.MessageOneofCase.Chunk ? TransferMapping.ToPiece(requestStream.Current.Chunk) : null;
        }
    }

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;

    private async Task<Dataset> FindAsync(string field, string reference, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(reference))
        {
            throw Problem.InvalidArgument(field, "is required: a dataset id (ds_...) or name.");
        }

        return (await catalog.FindDatasetAsync(reference, cancellationToken))?.ToApi() ?? throw Problem.NotFound("dataset", reference);
    }

    private void ValidateHeader(UploadHeader header)
    {
        var violations = new List<(string, string)>();
        Validation.AddNameViolation(violations, "header.name", header.Name);
        Validation.AddSha256Violation(violations, "header.sha256", header.Sha256);
        if (header.SizeBytes <= 0)
        {
            violations.Add(("header.size_bytes", "must be the file's size in bytes; empty files cannot be datasets."));
        }
        else
        {
            Validation.ThrowIfOverUploadLimit("header.size_bytes", header.SizeBytes, _limits);
        }

        if (header.Offset < 0 || header.Offset > header.SizeBytes)
        {
            violations.Add(("header.offset", "must be between 0 and size_bytes."));
        }

        if (header.FileName.Length > 255 || header.FileName.Contains('/', StringComparison.Ordinal) || header.FileName.Contains('\0', StringComparison.Ordinal))
        {
            violations.Add(("header.file_name", "must be a bare file name of at most 255 characters, without directories."));
        }

        Validation.ThrowIfAny(violations);
    }

    private static void ThrowIfTakenByOtherContent(Dataset? existing, string name, string sha256)
    {
        if (existing is not null && existing.Blob.Sha256 != sha256)
        {
            throw Problem.AlreadyExists("dataset", name, "It holds different content; delete it with `disco datasets rm` or choose another name.");
        }
    }

    /// <summary>Commits a whole, checked upload as a raw-file dataset.</summary>
    private async Task<UploadFileResponse> CommitUploadAsync(string partPath, string sha256, UploadHeader header)
    {
        var dataset = new Dataset
        {
            Id = Ids.New(Ids.Dataset),
            Name = header.Name,
            Kind = DatasetKind.RawFile,
            FileName = header.FileName,
            Labels = { header.Labels },
            Description = header.Description,
            CreateTime = Timestamp.FromDateTime(DateTime.UtcNow),
        };
        BlobRecord? blob = await blobs.CommitAsync(partPath, sha256, stored =>
        {
            dataset.Blob = stored.ToApi();
            return catalog.TryInsertDatasetAsync(dataset.ToRecord(), CancellationToken.None);
        }, CancellationToken.None);
        if (blob is null)
        {
            throw Problem.AlreadyExists("dataset", header.Name, "It was created by another upload while this one ran.");
        }

        logger.LogInformation("Dataset {DatasetId} ('{Name}') uploaded: {Bytes} bytes, SHA-256 {Sha256}", dataset.Id, dataset.Name, header.SizeBytes, sha256);
        return new UploadFileResponse { Dataset = dataset };
    }
}
