using Disco.Geo.Engine;
using Disco.Geo.Gdal;
using Disco.Geo.Raster;
using Disco.Geo.Raster.Ingest;
using Disco.Geo.Raster.Panoramas;
using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Jobs.Handlers;

/// <summary>
/// Reads a stored job spec as the handler's own spec. Implemented by the layer that encoded the spec (it accepted the
/// request, so it knows the request's schema); the handlers never see that schema.
/// </summary>
internal interface IJobSpecReader
{
    IngestJobSpec ReadIngest(JobSpecRecord spec);

    PredictionJobSpec ReadPrediction(JobSpecRecord spec);

    /// <summary>The prediction in <paramref name="spec"/>, or null when it holds another kind of request.</summary>
    PredictionJobSpec? TryReadPrediction(JobSpecRecord spec);

    TrainingJobSpec ReadTraining(JobSpecRecord spec);

    /// <summary>What to verify; a spec that is neither a dataset nor a model check reads as both ids null.</summary>
    VerifyJobSpec ReadVerify(JobSpecRecord spec);
}

/// <summary>
/// One source of an ingest: an upload (<paramref name="DatasetId"/>) or files by server path; <paramref name="Field"/> is
/// the request field that names it, for messages; <paramref name="Variable"/> the NetCDF/HDF5 variable to read (null =
/// the whole file), named by the request field <paramref name="VariableField"/>.
/// </summary>
internal sealed record IngestSourceSpec(string Field, string? DatasetId, IReadOnlyList<string> ServerPaths, string? Variable = null, string? VariableField = null)
{
    /// <summary>Where an image without georeferencing lies, or null for a whole-Earth 2:1 image.</summary>
    public GeoBounds? Bounds { get; init; }
}

/// <summary>An ingest job: its sources (the first is the main one), the target grid and bands, and the dataset to create.</summary>
internal sealed record IngestJobSpec(
    IReadOnlyList<IngestSourceSpec> Sources,
    GridRecord Grid,
    IReadOnlyList<SourceBandSpec> Bands,
    string Name,
    string Description,
    IReadOnlyDictionary<string, string> Labels,
    string SourceDatasetId);

/// <summary>Where a prediction's input comes from.</summary>
internal enum PredictionInputKind
{
    None,

    /// <summary>A gridded dataset (id or name).</summary>
    Dataset,

    /// <summary>A raster file under the import roots.</summary>
    ServerPath,

    /// <summary>An uploaded raster (dataset id).</summary>
    UploadedRaster,

    /// <summary>An uploaded panorama photo (dataset id) and its camera orientation.</summary>
    Panorama,
}

/// <summary>A prediction's input; <paramref name="Bounds"/> places a raster without georeferencing (null = whole globe, 2:1).</summary>
internal sealed record PredictionInputSpec(PredictionInputKind Kind, string Reference, CameraOrientation? Orientation = null, GeoBounds? Bounds = null);

/// <summary>A prediction job: the model (id or name), the input, the engine settings and the live tile height.</summary>
internal sealed record PredictionJobSpec(string Model, PredictionInputSpec Input, PredictionSettings Settings, int RowsPerTile);

/// <summary>
/// A training job. <paramref name="Request"/> is built when first read, inside the handler's error handling, because
/// an unbuildable grid is the request's fault (INVALID_ARGUMENT) and shows only after the datasets are found.
/// </summary>
internal sealed record TrainingJobSpec(IReadOnlyList<string> Datasets, IReadOnlyList<string> ValidationDatasets, string ModelName, Lazy<TrainingRequest> Request);

/// <summary>A verify job: the dataset or the model (id or name) whose blob is checked.</summary>
internal sealed record VerifyJobSpec(string? Dataset, string? Model);
