using Disco.Geo.Gdal;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Server.Engines;

/// <summary>Progress an engine reports while it works; the job runner fans it out to watchers.</summary>
/// <param name="Fraction">0..1, or 0 when unknown.</param>
/// <param name="Stage">Short stage name, e.g. "warping", "epoch", "inference".</param>
/// <param name="Message">One human-readable line.</param>
public sealed record EngineProgress(double Fraction, string Stage, string Message)
{
    /// <summary>Current step and total steps (0 when not applicable).</summary>
    public long Step { get; init; }

    /// <summary>Total steps, 0 when unknown.</summary>
    public long TotalSteps { get; init; }

    /// <summary>Current epoch (1-based) and total epochs, 0 when not applicable.</summary>
    public int Epoch { get; init; }

    /// <summary>Total epochs.</summary>
    public int TotalEpochs { get; init; }

    /// <summary>Latest scalars: losses, metrics, learning rate.</summary>
    public IReadOnlyDictionary<string, double>? Metrics { get; init; }

    /// <summary>Items per second, in <see cref="ThroughputUnit"/>.</summary>
    public double Throughput { get; init; }

    /// <summary>Unit of <see cref="Throughput"/>, e.g. "samples/s".</summary>
    public string? ThroughputUnit { get; init; }

    /// <summary>Estimated time to completion.</summary>
    public TimeSpan? Eta { get; init; }
}

/// <summary>
/// A gridded dataset as stored by the server: a tensor file (see <see cref="Storage.TensorFile"/>) with values
/// [bands, nlat, nlon] and an optional validity mask.
/// </summary>
/// <param name="DatasetId">The dataset's id.</param>
/// <param name="TensorPath">Read-only path of the tensor file in the blob store.</param>
/// <param name="Grid">The grid of the values.</param>
/// <param name="Bands">Band names and roles, in tensor order.</param>
public sealed record GriddedDataset(string DatasetId, string TensorPath, Grid Grid, IReadOnlyList<Band> Bands);

/// <summary>An ingest job's work: read the sources, resample them onto the grid.</summary>
/// <param name="Sources">
/// Source 0 is the main source, then the additional sources in request order; each is one raster or vector file, or
/// several tiles to mosaic. All readable and validated against the import roots. <see cref="BandSpec.SourceIndex"/>
/// picks the source of each band.
/// </param>
/// <param name="Grid">The target grid (validated against the server's limits).</param>
/// <param name="Bands">Band selection and roles; empty = every band as an input.</param>
/// <param name="MaxRasterPixels">Reject sources larger than this (width × height) with a clear error.</param>
public sealed record IngestWork(IReadOnlyList<IngestSourceFiles> Sources, Grid Grid, IReadOnlyList<BandSpec> Bands, long MaxRasterPixels)
{
    /// <summary>What <see cref="IIngestEngine.InspectAsync"/> read when the request arrived, or null (after a restart or resume) to read it again.</summary>
    public IngestInspection? Inspection { get; init; }

    /// <summary>The API field of each source, for messages: "dataset_id", "server_path.path", "additional_sources[0]", ….</summary>
    public IReadOnlyList<string> SourceFields { get; init; } = [];
}

/// <summary>The sources of an ingest as opened when the request arrived, and the band specs the ingest will use.</summary>
/// <param name="Bands">The band specs, defaults filled in.</param>
/// <param name="Sources">Engine-specific description of the sources (kind, band names, band count).</param>
public sealed record IngestInspection(IReadOnlyList<BandSpec> Bands, object Sources);

/// <summary>The files of one ingest source and what they may read.</summary>
/// <param name="Paths">One raster or vector file, or several tiles to mosaic.</param>
/// <param name="Sandbox">The files the source may consist of; every open goes through it.</param>
/// <param name="DisplayName">How messages and provenance name the source (an upload's file name), or null for the file's own name.</param>
public sealed record IngestSourceFiles(IReadOnlyList<string> Paths, SourceSandbox Sandbox, string? DisplayName = null);

/// <summary>What ingest produced: values [BandCount, nlat, nlon] on the requested grid, row-major.</summary>
/// <param name="Values">Band values, length BandCount × nlat × nlon.</param>
/// <param name="Mask">Validity per node (1 valid, 0 no data), length nlat × nlon, or null when everything is valid.</param>
/// <param name="Bands">Name, role and resampling of each band, in order.</param>
/// <param name="ProvenanceJson">Source, CRS, bounds, resampling and grid as JSON.</param>
public sealed record IngestOutput(float[] Values, byte[]? Mask, IReadOnlyList<Band> Bands, string ProvenanceJson);

/// <summary>A training job's work.</summary>
/// <param name="JobId">The job id (stable across resumes).</param>
/// <param name="Request">The request, with dataset references resolved to ids.</param>
/// <param name="Training">Training datasets.</param>
/// <param name="Validation">Validation datasets (may be empty).</param>
/// <param name="WorkingDirectory">Kept across restarts: write checkpoints here (atomically) and look for them on resume.</param>
/// <param name="Attempt">1 for a fresh run, higher when resuming.</param>
/// <param name="PackagePath">Where to write the finished model package (a file the server then moves into its store).</param>
public sealed record TrainingWork(
    string JobId, StartTrainingRequest Request, IReadOnlyList<GriddedDataset> Training, IReadOnlyList<GriddedDataset> Validation,
    string WorkingDirectory, int Attempt, string PackagePath);

/// <summary>A stored model package and its card.</summary>
/// <param name="ModelId">The model's id.</param>
/// <param name="PackagePath">Read-only path of the package file.</param>
/// <param name="Model">The model record, with the card fields.</param>
public sealed record StoredModel(string ModelId, string PackagePath, Model Model);

/// <summary>What a prediction runs on: exactly one of the inputs is set.</summary>
/// <param name="Gridded">A gridded dataset.</param>
/// <param name="RasterPath">A raster file to resample onto the model's grid first.</param>
/// <param name="Panorama">An equirectangular photo and the camera orientation.</param>
/// <param name="PanoramaPath">The photo's path when <paramref name="Panorama"/> is set.</param>
/// <param name="Sandbox">What a raster or photo file may read (required with <paramref name="RasterPath"/> and <paramref name="PanoramaPath"/>).</param>
/// <param name="DisplayName">How messages name the raster or photo (an upload's file name), or null for the file's own name.</param>
public sealed record PredictionInput(GriddedDataset? Gridded, string? RasterPath, PanoramaSource? Panorama, string? PanoramaPath,
    SourceSandbox? Sandbox = null, string? DisplayName = null);

/// <summary>A prediction job's work.</summary>
/// <param name="PredictionId">The prediction's id.</param>
/// <param name="Model">The model to run.</param>
/// <param name="Input">The input.</param>
/// <param name="Request">The request (output kind, rotation averaging, rows per tile).</param>
/// <param name="MaxRasterPixels">Reject raster inputs larger than this.</param>
public sealed record PredictionWork(string PredictionId, StoredModel Model, PredictionInput Input, PredictRequest Request, long MaxRasterPixels);

/// <summary>Receives the output map of a prediction as it is computed.</summary>
public interface IPredictionSink
{
    /// <summary>Called once, before any rows: the output grid and bands.</summary>
    ValueTask BeginAsync(Grid grid, IReadOnlyList<Band> bands, CancellationToken cancellationToken);

    /// <summary>
    /// Rows [rowStart, rowStart + rowCount) of every band: values laid out [bands, rowCount, nlon]; mask [rowCount, nlon]
    /// or empty. May apply back-pressure when clients read slowly.
    /// </summary>
    ValueTask WriteRowsAsync(int rowStart, int rowCount, ReadOnlyMemory<float> values, ReadOnlyMemory<byte> mask, CancellationToken cancellationToken);
}

/// <summary>A finished prediction map to render or export.</summary>
/// <param name="PredictionId">The prediction's id.</param>
/// <param name="TensorPath">Read-only tensor file of the map [bands, nlat, nlon].</param>
/// <param name="Grid">The map's grid.</param>
/// <param name="Bands">The map's bands.</param>
/// <param name="Model">The model that made it (classes, colours, task).</param>
public sealed record PredictionMap(string PredictionId, string TensorPath, Grid Grid, IReadOnlyList<Band> Bands, Model Model);

/// <summary>One map tile to render as PNG.</summary>
/// <param name="Map">The prediction map.</param>
/// <param name="TileMatrixSet">"WebMercatorQuad" (EPSG:3857) or "WorldCRS84Quad" (EPSG:4326).</param>
/// <param name="Zoom">Zoom level.</param>
/// <param name="Column">Tile column (x), from the west.</param>
/// <param name="Row">Tile row (y), from the north.</param>
/// <param name="Bounds">The tile's bounds in the tile matrix set's CRS: min x, min y, max x, max y (metres or degrees).</param>
/// <param name="SizePixels">Width and height in pixels (256).</param>
public sealed record MapTileRequest(PredictionMap Map, string TileMatrixSet, int Zoom, int Column, int Row, (double MinX, double MinY, double MaxX, double MaxY) Bounds, int SizePixels);
