using Disco.Geo.Engine;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Application.Exports;
using Disco.Geo.Server.Application.Predictions;
using Disco.Geo.Server.Application.Queries;
using Disco.Geo.Server.Application.Tiles;
using Disco.Geo.Server.Application.Transfers;
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

/// <summary>PredictionService: running models as prediction jobs, streaming their tiles, and exporting finished maps.</summary>
internal sealed class PredictionGrpcService(
    ICatalog catalog,
    IBlobStore blobs,
    JobRunner runner,
    JobHub hub,
    IJobStore jobs,
    PredictionStreams streams,
    ImportRoots importRoots,
    SourceSandboxes sandboxes,
    ServerMetrics metrics,
    IPredictionExporter exporter,
    PredictionMaps maps,
    FileExports exports,
    LivePredictionTiles liveTiles,
    IOptions<JobsOptions> jobOptions,
    IOptions<LimitsOptions> limitOptions) : PredictionService.PredictionServiceBase
{
    /// <summary>Most rotations a prediction may average over: each one is a full forward pass.</summary>
    private const int MaxRotationAveraging = 64;

    public override async Task Predict(PredictRequest request, IServerStreamWriter<PredictResponse> responseStream, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        var violations = new List<(string, string)>();
        if (string.IsNullOrEmpty(request.Model))
        {
            violations.Add(("model", "is required: a model id (mdl_...) or name."));
        }

        if (request.InputCase == PredictRequest.InputOneofCase.None)
        {
            violations.Add(("input", "is required: dataset, raster or panorama."));
        }

        if (request.RowsPerTile < 0)
        {
            violations.Add(("rows_per_tile", "must be 0 (server's choice) or positive."));
        }

        if (!System.Enum.IsDefined(request.Output))
        {
            violations.Add(("output", "must be values or probabilities."));
        }

        if (request.RotationAveraging is < 0 or > MaxRotationAveraging)
        {
            violations.Add(("rotation_averaging", $"must be between 0 and {MaxRotationAveraging}."));
        }

        if (request.Name.Length > 0)
        {
            Validation.AddNameViolation(violations, "name", request.Name);
        }

        if (request.Panorama is { } panorama && !(double.IsFinite(panorama.YawDegrees) && double.IsFinite(panorama.PitchDegrees) && double.IsFinite(panorama.RollDegrees)))
        {
            violations.Add(("panorama", "yaw, pitch and roll must be finite angles in degrees."));
        }

        Validation.ThrowIfAny(violations);
        Model model = (await catalog.FindModelAsync(request.Model, cancellationToken))?.ToApi() ?? throw Problem.NotFound("model", request.Model);
        PredictRequest spec = request.Clone();
        spec.Model = model.Id;
        var inputs = new List<string> { model.Id };
        string inputDescription;
        switch (request.InputCase)
        {
            case PredictRequest.InputOneofCase.Dataset:
                Dataset gridded = await DatasetAsync("dataset", request.Dataset, DatasetKind.Gridded, cancellationToken);
                if (model.Grid is { Nlat: > 0 } modelGrid && !modelGrid.Equals(gridded.Grid))
                {
                    throw Problem.InvalidArgument("dataset",
                        $"dataset '{gridded.Name}' is on {Describe(gridded.Grid)} but model '{model.Name}' runs on {Describe(modelGrid)}; " +
                        "ingest the source onto the model's grid, or predict on the raster itself (raster input is resampled for you).");
                }

                spec.Dataset = gridded.Id;
                inputs.Add(gridded.Id);
                inputDescription = $"dataset {gridded.Name}";
                break;
            case PredictRequest.InputOneofCase.Raster when request.Raster.LocationCase == RasterSource.LocationOneofCase.ServerPath:
                spec.Raster.ServerPath = importRoots.Resolve("raster.server_path", request.Raster.ServerPath);
                inputDescription = $"raster {spec.Raster.ServerPath}";
                break;
            case PredictRequest.InputOneofCase.Raster when request.Raster.LocationCase == RasterSource.LocationOneofCase.DatasetId:
                Dataset raster = await DatasetAsync("raster.dataset_id", request.Raster.DatasetId, DatasetKind.RawFile, cancellationToken);
                spec.Raster.DatasetId = raster.Id;
                inputs.Add(raster.Id);
                inputDescription = $"raster {raster.Name}";
                break;
            case PredictRequest.InputOneofCase.Raster:
                throw Problem.InvalidArgument("raster", "needs dataset_id or server_path.");
            default:
                Dataset photo = await DatasetAsync("panorama.dataset_id", request.Panorama.DatasetId, DatasetKind.RawFile, cancellationToken);
                spec.Panorama.DatasetId = photo.Id;
                inputs.Add(photo.Id);
                inputDescription = $"panorama {photo.Name}";
                break;
        }

        Prediction? done = null;
        if (request.RequestId.Length > 0)
        {
            List<Prediction> earlier = await PredictionsWithRequestIdAsync(request.RequestId, cancellationToken);
            foreach (Prediction previous in earlier)
            {
                await ThrowIfAnotherRequestAsync(previous, spec, cancellationToken);
            }

            done = earlier.LastOrDefault(p => p.State == PredictionState.Succeeded);
        }

        if (done is not null)
        {
            // A retried or repeated request gets the finished prediction again, tiles included when asked for: the
            // client cannot tell a replay from a first run and must not lose the map it streams.
            await responseStream.WriteAsync(new PredictResponse { Prediction = done }, cancellationToken);
            if (request.StreamTiles && done.Blob is { Sha256.Length: > 0 } stored)
            {
                await TileWriter.WriteFileAsync(blobs.PathOf(stored.Sha256), request.RowsPerTile, file => TileMapping.GeometryOf(done.Grid, file.NLon), limitOptions.Value,
                    tile => responseStream.WriteAsync(new PredictResponse { Tile = TileMapping.ToApi(tile) }, cancellationToken), metrics, cancellationToken);
            }

            await responseStream.WriteAsync(new PredictResponse { Summary = done.Summary ?? new PredictionSummary() }, cancellationToken);
            return;
        }

        // A raster or photo that refers to files outside what it may read is refused before a job exists.
        await ThrowIfInputEscapesAsync(spec, cancellationToken);

        var prediction = new Prediction
        {
            Id = Ids.New(Ids.Prediction),
            Name = request.Name.Length > 0 ? request.Name : $"{model.Name}-on-{inputDescription.Split(' ')[^1]}",
            ModelId = model.Id,
            InputDescription = inputDescription,
            State = PredictionState.Pending,
            RequestId = request.RequestId,
            CreateTime = Timestamp.FromDateTime(DateTime.UtcNow),
        };
        PredictionStream stream = streams.Attach(prediction.Id);
        try
        {
            await catalog.SavePredictionAsync(prediction.ToRecord(), cancellationToken);
            JobRecord job = await runner.SubmitAsync(new JobSubmission(
                JobKind.Prediction.ToRecord(), JobSpecs.Of(spec), jobOptions.Value.DefaultDevice, request.Priority, $"predict with '{model.Name}' on {inputDescription}",
                request.RequestId.Length > 0 ? "predict:" + request.RequestId + ":" + prediction.Id : null, inputs,
                new JobResultRecord { PredictionId = prediction.Id }), cancellationToken);
            prediction.JobId = job.Id;
            await catalog.SavePredictionAsync(prediction.ToRecord(), cancellationToken);
            await responseStream.WriteAsync(new PredictResponse { Prediction = prediction }, cancellationToken);
            await liveTiles.FollowAsync(stream, request.StreamTiles, request.RowsPerTile,
                tile => responseStream.WriteAsync(new PredictResponse { Tile = TileMapping.ToApi(tile) }, cancellationToken),
                summary => responseStream.WriteAsync(new PredictResponse { Summary = summary.ToApi() }, cancellationToken), cancellationToken);
            JobRecord final = await OutcomeAsync(job, cancellationToken);
            if (final.State == JobRecordState.Failed && final.Error is { } error)
            {
                throw new ProblemException((ProblemKind)error.Code, error.Message);
            }
        }
        finally
        {
            stream.Detach();
        }
    }

    /// <summary>
    /// The job's final state. The prediction stream ends as soon as the handler is done, a moment before the runner
    /// records the outcome, so reading the store right away could see the job still running and report a failed
    /// prediction as OK; the hub's watch ends exactly at the final state (and once it is gone, the store has it).
    /// </summary>
    private async Task<JobRecord> OutcomeAsync(JobRecord job, CancellationToken cancellationToken)
    {
        JobRecord latest = job;
        if (hub.Watch(job.Id, cancellationToken) is { } live)
        {
            await foreach (JobRecord state in live)
            {
                latest = state;
            }

            return latest;
        }

        return await jobs.GetAsync(job.Id, cancellationToken) ?? latest;
    }

    public override Task<Prediction> GetPrediction(GetPredictionRequest request, ServerCallContext context) => FindAsync(request.Prediction, context.CancellationToken);

    public override async Task<ListPredictionsResponse> ListPredictions(ListPredictionsRequest request, ServerCallContext context)
    {
        PageRequest page = RecordQueries.Page(request.PageSize, request.PageToken);
        RecordPage<PredictionRecord> found = await catalog.ListPredictionsAsync(page.ToCatalogQuery() with
        {
            ModelId = request.ModelId.Length > 0 ? request.ModelId : null,
            RequestId = request.RequestId.Length > 0 ? request.RequestId : null,
        }, context.CancellationToken);
        return new ListPredictionsResponse { Predictions = { found.Items.Select(RecordMapping.ToApi) }, NextPageToken = RecordQueries.NextToken(found, p => p.Id) };
    }

    public override async Task<DeletePredictionResponse> DeletePrediction(DeletePredictionRequest request, ServerCallContext context)
    {
        Prediction prediction = await FindAsync(request.Prediction, context.CancellationToken);
        if (prediction.State == PredictionState.Pending && prediction.JobId.Length > 0 && await jobs.GetAsync(prediction.JobId, context.CancellationToken) is { } job && !JobHub.IsFinal(job.State))
        {
            throw Problem.FailedPrecondition("IN_USE", prediction.Id, $"Prediction {prediction.Id} is still being computed by job {job.Id}; cancel it first with `disco jobs cancel {job.Id}`.");
        }

        long freed = await catalog.DeletePredictionAsync(prediction.Id, context.CancellationToken) ?? throw Problem.NotFound("prediction", request.Prediction);
        return new DeletePredictionResponse { PredictionId = prediction.Id, FreedBytes = freed };
    }

    public override async Task ExportPrediction(ExportPredictionRequest request, IServerStreamWriter<ExportPredictionResponse> responseStream, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        var violations = new List<(string, string)>();
        if (request.Format == ExportFormat.Unspecified || !System.Enum.IsDefined(request.Format))
        {
            violations.Add(("format", "must be geotiff, cog, geojson or png."));
        }

        int maxSide = limitOptions.Value.MaxRasterDimension;
        if (request.Width < 0 || request.Height < 0 || request.Width > maxSide || request.Height > maxSide)
        {
            violations.Add(("width", $"width and height must be 0 (the grid's own) or between 1 and {maxSide}."));
        }

        Validation.ThrowIfAny(violations);
        Prediction prediction = await FindAsync(request.Prediction, cancellationToken);
        PredictionMap map = await maps.MapAsync(prediction, cancellationToken);
        string extension = request.Format switch { ExportFormat.Geojson => ".geojson", ExportFormat.Png => ".png", _ => ".tif" };
        await exports.ExportAsync(
            prediction.Id, "." + request.Format.ToString().ToLowerInvariant(),
            temp => exporter.ExportAsync(map, PredictionMapping.ToEngine(request.Format), request.Width, request.Height, temp, cancellationToken),
            prediction.Name + extension,
            file => responseStream.WriteAsync(new ExportPredictionResponse { File = TransferMapping.ToApi(file) }, cancellationToken),
            piece => responseStream.WriteAsync(new ExportPredictionResponse { Chunk = TransferMapping.ToApi(piece) }, cancellationToken),
            cancellationToken);
    }

    private async Task<List<Prediction>> PredictionsWithRequestIdAsync(string requestId, CancellationToken cancellationToken)
    {
        (IReadOnlyList<PredictionRecord> items, _) = await catalog.ListPredictionsAsync(new CatalogQuery(null, PageTokens.DefaultPageSize) { RequestId = requestId }, cancellationToken);
        return [.. items.Select(RecordMapping.ToApi)];
    }

    /// <summary>
    /// A request id names one request: replaying it for another model, input or output would hand back a map of
    /// something else. The earlier request is the spec its job stored (model, dataset and server path resolved, like
    /// <paramref name="spec"/>), compared on what decides the result.
    /// </summary>
    private async Task ThrowIfAnotherRequestAsync(Prediction previous, PredictRequest spec, CancellationToken cancellationToken)
    {
        List<string> differences;
        if (previous.JobId.Length > 0 && JobSpecs.TryRead(await jobs.GetSpecAsync(previous.JobId, cancellationToken), out PredictRequest earlier))
        {
            differences = ResultDefiningDifferences(earlier, spec);
        }
        else
        {
            // No job was recorded (the server stopped between saving the prediction and queuing its job): the model is all that is known.
            differences = previous.ModelId == spec.Model ? [] : ["model"];
        }

        if (differences.Count > 0)
        {
            throw Problem.Conflict("prediction request_id", spec.RequestId,
                $"request_id '{ClientText.Shorten(spec.RequestId)}' was already used for prediction {previous.Id} ({previous.InputDescription}); " +
                $"this request has a different {string.Join(", ", differences)}. Use a new request_id for a different request; " +
                "the same request_id returns the same prediction only for the same request.");
        }
    }

    /// <summary>The fields that decide a prediction's result and differ between two resolved specs (names, priority and streaming do not).</summary>
    internal static List<string> ResultDefiningDifferences(PredictRequest earlier, PredictRequest later)
    {
        var differences = new List<string>();
        if (earlier.Model != later.Model)
        {
            differences.Add("model");
        }

        if (earlier.InputCase != later.InputCase || !Equals(earlier.Dataset, later.Dataset) || !Equals(earlier.Raster, later.Raster) || !Equals(earlier.Panorama, later.Panorama))
        {
            differences.Add("input");
        }

        if (Normalized(earlier.Output) != Normalized(later.Output))
        {
            differences.Add("output");
        }

        if (Math.Max(1, earlier.RotationAveraging) != Math.Max(1, later.RotationAveraging))
        {
            differences.Add("rotation_averaging");
        }

        return differences;

        static PredictionOutput Normalized(PredictionOutput output) => output == PredictionOutput.Unspecified ? PredictionOutput.Values : output;
    }

    private async Task<Prediction> FindAsync(string reference, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(reference))
        {
            throw Problem.InvalidArgument("prediction", "is required: a prediction id (prd_...) or name.");
        }

        return (await catalog.FindPredictionAsync(reference, cancellationToken))?.ToApi() ?? throw Problem.NotFound("prediction", reference);
    }

    /// <summary>At the RPC: a prediction's raster or panorama input (upload or resolved server path), as for ingest.</summary>
    private async Task ThrowIfInputEscapesAsync(PredictRequest spec, CancellationToken cancellationToken)
    {
        if (spec.InputCase == PredictRequest.InputOneofCase.Raster)
        {
            await (spec.Raster.LocationCase == RasterSource.LocationOneofCase.DatasetId
                ? ThrowIfUploadEscapesAsync("The raster", spec.Raster.DatasetId, cancellationToken)
                : sandboxes.ThrowIfPathEscapesAsync("The raster", spec.Raster.ServerPath, cancellationToken));
        }
        else if (spec.InputCase == PredictRequest.InputOneofCase.Panorama)
        {
            await ThrowIfUploadEscapesAsync("The panorama", spec.Panorama.DatasetId, cancellationToken);
        }
    }

    private async Task ThrowIfUploadEscapesAsync(string subject, string datasetId, CancellationToken cancellationToken)
    {
        if (await catalog.FindDatasetAsync(datasetId, cancellationToken) is { Kind: DatasetRecordKind.RawFile } upload)
        {
            await sandboxes.ThrowIfUploadEscapesAsync(subject, blobs.PathOf(upload.Blob.Sha256), IngestJobHandler.UploadName(upload), cancellationToken);
        }
    }

    private async Task<Dataset> DatasetAsync(string field, string reference, DatasetKind kind, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(reference))
        {
            throw Problem.InvalidArgument(field, "is required: a dataset id (ds_...) or name.");
        }

        Dataset dataset = (await catalog.FindDatasetAsync(reference, cancellationToken))?.ToApi() ?? throw Problem.NotFound("dataset", reference);
        if (dataset.Kind != kind)
        {
            throw Problem.FailedPrecondition("DATASET_KIND", dataset.Id, kind == DatasetKind.Gridded
                ? $"{field}: dataset '{dataset.Name}' is a raw upload; pass it as a raster input or ingest it first."
                : $"{field}: dataset '{dataset.Name}' is gridded; pass it as the dataset input.");
        }

        return dataset;
    }

    private static string Describe(Grid grid) =>
        FormattableString.Invariant($"{grid.Kind.ToString().ToLowerInvariant()} {grid.Nlat}x{grid.Nlon} (lon0 {grid.LonOriginDegrees}°)");
}
