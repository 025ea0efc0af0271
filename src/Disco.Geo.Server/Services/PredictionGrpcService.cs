using Disco.Geo.Engine;
using Disco.Geo.Engine.Prediction;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Application.Exports;
using Disco.Geo.Server.Application.Predictions;
using Disco.Geo.Server.Application.Queries;
using Disco.Geo.Server.Application.Stac;
using Disco.Geo.Server.Application.Tiles;
using Disco.Geo.Server.Application.Transfers;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Jobs.Handlers;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Services;

/// <summary>
/// PredictionService: running models as prediction jobs, streaming their tiles, and exporting finished maps. Predict
/// validates and maps the request; <see cref="PredictionRequests"/> resolves, replays and submits it.
/// </summary>
internal sealed class PredictionGrpcService(
    ICatalog catalog,
    IBlobStore blobs,
    IJobStore jobs,
    PredictionRequests predictions,
    ServerMetrics metrics,
    IPredictionExporter exporter,
    PredictionMaps maps,
    FileExports exports,
    LivePredictionTiles liveTiles,
    PredictionStac stac,
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

        if (request.LevelRefinements is < 0 or > Levelling.MaxRefinements)
        {
            violations.Add(("level_refinements", $"must be between 0 and {Levelling.MaxRefinements}."));
        }
        else if (request.LevelRefinements > 0 && request.LevelWith.Length == 0)
        {
            violations.Add(("level_refinements", "refines a levelling: name the leveller in level_with, or ask for 0."));
        }

        if (request.LevelWith.Length > 0 && request.RotationAveraging > 1)
        {
            violations.Add(("level_with", "does not combine with rotation_averaging: a levelled model already follows the camera; ask for one of them."));
        }

        if (request.Name.Length > 0)
        {
            Validation.AddNameViolation(violations, "name", request.Name);
        }

        if (request.Panorama is { } panorama && !(double.IsFinite(panorama.YawDegrees) && double.IsFinite(panorama.PitchDegrees) && double.IsFinite(panorama.RollDegrees)))
        {
            violations.Add(("panorama", "yaw, pitch and roll must be finite angles in degrees."));
        }

        if (request.InputCase == PredictRequest.InputOneofCase.Raster)
        {
            BoundsMapping.AddViolations(violations, "raster.bounds", request.Raster.Bounds);
        }

        if (request.Raster is { Variable.Length: > 0 })
        {
            // Predictions read a raster as a whole; a variable is chosen when the file is ingested.
            violations.Add(("raster.variable", "is not used by predictions: ingest the variable into a dataset (IngestDataset with variable) and predict over that dataset."));
        }

        Validation.ThrowIfAny(violations);
        PredictionJobSpec asked = JobSpecReader.Prediction(request);
        // A raster that names neither location: the application refuses it once the model is known, as it always has.
        PredictionInputSpec input = request.InputCase == PredictRequest.InputOneofCase.Raster && request.Raster.LocationCase == RasterSource.LocationOneofCase.None
            ? new PredictionInputSpec(PredictionInputKind.None, string.Empty)
            : asked.Input;
        PredictStart start = await predictions.StartAsync(
            new PredictOrder(request.Model, input, asked.Settings, request.Name, request.RequestId, request.Priority),
            resolved => JobSpecs.Of(SpecOf(request, resolved)), cancellationToken);
        Prediction prediction = start.Prediction.ToApi();
        if (start is not PredictRun run)
        {
            // A replay: the finished prediction again, tiles included when asked for, read back from the stored map.
            await responseStream.WriteAsync(new PredictResponse { Prediction = prediction }, cancellationToken);
            if (request.StreamTiles && prediction.Blob is { Sha256.Length: > 0 } stored)
            {
                await TileWriter.WriteFileAsync(blobs.PathOf(stored.Sha256), request.RowsPerTile, file => TileMapping.GeometryOf(prediction.Grid, file.NLon), limitOptions.Value,
                    tile => responseStream.WriteAsync(new PredictResponse { Tile = TileMapping.ToApi(tile) }, cancellationToken), metrics, cancellationToken);
            }

            await responseStream.WriteAsync(new PredictResponse { Summary = prediction.Summary ?? new PredictionSummary() }, cancellationToken);
            return;
        }

        try
        {
            await responseStream.WriteAsync(new PredictResponse { Prediction = prediction }, cancellationToken);
            await liveTiles.FollowAsync(run.Stream, request.StreamTiles, request.RowsPerTile,
                tile => responseStream.WriteAsync(new PredictResponse { Tile = TileMapping.ToApi(tile) }, cancellationToken),
                summary => responseStream.WriteAsync(new PredictResponse { Summary = summary.ToApi() }, cancellationToken), cancellationToken);
            await predictions.ThrowIfFailedAsync(run.Job, cancellationToken);
        }
        finally
        {
            run.Stream.Detach();
        }
    }

    /// <summary>The job's spec: the v1 request as the client sent it, with the model and input named by the ids they resolved to.</summary>
    private static PredictRequest SpecOf(PredictRequest request, PredictionJobSpec resolved)
    {
        PredictRequest spec = request.Clone();
        spec.Model = resolved.Model;
        spec.LevelWith = resolved.Settings.Leveller;
        switch (resolved.Input.Kind)
        {
            case PredictionInputKind.Dataset:
                spec.Dataset = resolved.Input.Reference;
                break;
            case PredictionInputKind.ServerPath:
                spec.Raster.ServerPath = resolved.Input.Reference;
                break;
            case PredictionInputKind.UploadedRaster:
                spec.Raster.DatasetId = resolved.Input.Reference;
                break;
            case PredictionInputKind.Panorama:
                spec.Panorama.DatasetId = resolved.Input.Reference;
                break;
        }

        return spec;
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

        if (request.TimeStep is < 0)
        {
            violations.Add(("time_step", "must be 0 or more (an index into the prediction's time_steps)."));
        }

        Validation.ThrowIfAny(violations);
        Prediction prediction = await FindAsync(request.Prediction, cancellationToken);
        PredictionMap map = await maps.MapAsync(prediction, cancellationToken);
        int? step = request.TimeStep;
        string suffix = "";
        if (step is int t)
        {
            if (prediction.TimeSteps.Count == 0)
            {
                throw Problem.InvalidArgument("time_step", $"prediction '{prediction.Name}' is one map, not a time stack; leave time_step unset.");
            }

            if (t >= prediction.TimeSteps.Count)
            {
                throw Problem.InvalidArgument("time_step", $"is {t} but prediction '{prediction.Name}' has {prediction.TimeSteps.Count} time steps (0..{prediction.TimeSteps.Count - 1}).");
            }

            int perStep = map.Bands.Count / prediction.TimeSteps.Count;
            map = map with { Bands = [.. map.Bands.Skip(t * perStep).Take(perStep)], BandWindow = (t * perStep, perStep) };
            suffix = "-" + prediction.TimeSteps[t].ToDateTime().ToString("yyyy-MM-dd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        }

        string extension = request.Format switch { ExportFormat.Geojson => ".geojson", ExportFormat.Png => ".png", _ => ".tif" };
        string format = request.Format.ToString().ToLowerInvariant();
        await exports.ExportAsync(
            prediction.Id, "." + format,
            temp => exporter.ExportAsync(map, PredictionMapping.ToEngine(request.Format), request.Width, request.Height, temp, cancellationToken),
            prediction.Name + suffix + extension,
            file => responseStream.WriteAsync(new ExportPredictionResponse { File = TransferMapping.ToApi(file) }, cancellationToken),
            piece => responseStream.WriteAsync(new ExportPredictionResponse { Chunk = TransferMapping.ToApi(piece) }, cancellationToken),
            cancellationToken,
            (path, file) => stac.DescribeExportAsync(prediction.Id, format, path, file, cancellationToken, step));
    }

    private async Task<Prediction> FindAsync(string reference, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(reference))
        {
            throw Problem.InvalidArgument("prediction", "is required: a prediction id (prd_...) or name.");
        }

        return (await catalog.FindPredictionAsync(reference, cancellationToken))?.ToApi() ?? throw Problem.NotFound("prediction", reference);
    }
}
