using Disco.Geo.Engine;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Jobs.Handlers;
using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Api.Mapping;

/// <summary>
/// The handlers' specs from the v1 requests the RPCs store with their jobs (<see cref="JobSpec{T}"/>): the one place
/// that knows a stored spec is a packed request.
/// </summary>
internal sealed class JobSpecReader : IJobSpecReader
{
    public IngestJobSpec ReadIngest(JobSpecRecord spec) => Ingest(JobSpecs.Read<IngestDatasetRequest>(spec));

    public PredictionJobSpec ReadPrediction(JobSpecRecord spec) => Prediction(JobSpecs.Read<PredictRequest>(spec));

    public PredictionJobSpec? TryReadPrediction(JobSpecRecord spec) => JobSpecs.TryRead(spec, out PredictRequest request) ? Prediction(request) : null;

    public TrainingJobSpec ReadTraining(JobSpecRecord spec) => Training(JobSpecs.Read<StartTrainingRequest>(spec));

    public VerifyJobSpec ReadVerify(JobSpecRecord spec) =>
        JobSpecs.TryRead(spec, out VerifyDatasetRequest dataset) ? new VerifyJobSpec(dataset.Dataset, null)
        : JobSpecs.TryRead(spec, out VerifyModelRequest model) ? new VerifyJobSpec(null, model.Model)
        : new VerifyJobSpec(null, null);

    /// <summary>An ingest request as its job runs it; a request without a main source has no sources at all.</summary>
    public static IngestJobSpec Ingest(IngestDatasetRequest request)
    {
        var sources = new List<IngestSourceSpec>();
        IngestSourceSpec? main = request.SourceCase switch
        {
            IngestDatasetRequest.SourceOneofCase.DatasetId => new IngestSourceSpec("dataset_id", request.DatasetId, []) { Bounds = BoundsMapping.ToEngine(request.Bounds) },
            IngestDatasetRequest.SourceOneofCase.ServerPath => new IngestSourceSpec("server_path.path", null, [request.ServerPath.Path]) { Bounds = BoundsMapping.ToEngine(request.Bounds) },
            IngestDatasetRequest.SourceOneofCase.Tiles => new IngestSourceSpec("tiles.paths", null, [.. request.Tiles.Paths]),
            _ => null,
        } is { } spec ? spec with { Variable = NullIfEmpty(request.Variable), VariableField = "variable" } : null;
        if (main is not null)
        {
            sources.Add(main);
            for (int i = 0; i < request.AdditionalSources.Count; i++)
            {
                RasterSource extra = request.AdditionalSources[i];
                string field = $"additional_sources[{i}]";
                sources.Add((extra.LocationCase == RasterSource.LocationOneofCase.DatasetId
                    ? new IngestSourceSpec(field, extra.DatasetId, [])
                    : new IngestSourceSpec(field, null, [extra.ServerPath])) with
                { Variable = NullIfEmpty(extra.Variable), VariableField = field + ".variable", Bounds = BoundsMapping.ToEngine(extra.Bounds) });
            }
        }

        return new IngestJobSpec(
            sources, (request.Grid ?? new Grid()).ToRecord(), [.. request.Bands.Select(BandMapping.ToEngine)], request.Name, request.Description,
            request.Labels.ToDictionary(), request.DatasetId);
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    public static PredictionJobSpec Prediction(PredictRequest request)
    {
        PredictionInputSpec input = request.InputCase switch
        {
            PredictRequest.InputOneofCase.Dataset => new PredictionInputSpec(PredictionInputKind.Dataset, request.Dataset),
            PredictRequest.InputOneofCase.Raster when request.Raster.LocationCase == RasterSource.LocationOneofCase.ServerPath =>
                new PredictionInputSpec(PredictionInputKind.ServerPath, request.Raster.ServerPath, Bounds: BoundsMapping.ToEngine(request.Raster.Bounds)),
            PredictRequest.InputOneofCase.Raster =>
                new PredictionInputSpec(PredictionInputKind.UploadedRaster, request.Raster.DatasetId, Bounds: BoundsMapping.ToEngine(request.Raster.Bounds)),
            PredictRequest.InputOneofCase.Panorama =>
                new PredictionInputSpec(PredictionInputKind.Panorama, request.Panorama.DatasetId, PredictionMapping.ToOrientation(request.Panorama)),
            _ => new PredictionInputSpec(PredictionInputKind.None, ""),
        };
        return new PredictionJobSpec(request.Model, input, PredictionMapping.ToSettings(request), request.RowsPerTile);
    }

    public static TrainingJobSpec Training(StartTrainingRequest request) =>
        new([.. request.Datasets], [.. request.ValidationDatasets], request.ModelName, new Lazy<TrainingRequest>(() => TrainingMapping.ToEngine(request)));
}
