using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster;
using Disco.Geo.Raster.Ingest;
using Disco.Geo.Raster.Panoramas;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Packaging;

namespace Disco.Geo.Engine;

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

/// <summary>The server's settings the engines honour (the server's options hold their defaults).</summary>
public sealed record EngineOptions
{
    /// <summary>Reject raster sources (width × height) and exports (values) larger than this.</summary>
    public required long MaxRasterPixels { get; init; }

    /// <summary>The device predictions run on ("cpu", "cuda", "cuda:N" or "auto"); null or empty = cpu.</summary>
    public string? DefaultDevice { get; init; }
}

/// <summary>One band of a gridded dataset or prediction map.</summary>
/// <param name="Name">The band's name.</param>
/// <param name="Role">Input, label or mask.</param>
/// <param name="Resampling">The kernel that brought it onto the grid, or null when unknown.</param>
/// <param name="SourceBand">The 1-based band of its source it came from, or 0.</param>
/// <param name="Description">Unit, origin and scaling, for people.</param>
public sealed record DatasetBand(string Name, BandRole Role, Resampling? Resampling = null, int SourceBand = 0, string Description = "");

/// <summary>
/// A gridded dataset as stored by the server: a tensor file (see <see cref="Disco.Geo.Raster.Storage.TensorFile"/>) with values
/// [bands, nlat, nlon] and an optional validity mask.
/// </summary>
/// <param name="DatasetId">The dataset's id.</param>
/// <param name="TensorPath">Read-only path of the tensor file in the blob store.</param>
/// <param name="Grid">The grid of the values.</param>
/// <param name="Bands">Band names and roles, in tensor order.</param>
public sealed record GriddedDataset(string DatasetId, string TensorPath, SphereGrid Grid, IReadOnlyList<DatasetBand> Bands)
{
    /// <summary>
    /// The timestamps of a time stack's steps (UTC, ascending), or empty for one sample. A time stack's tensor file holds
    /// every step's bands one step after the other: [steps × bands, nlat, nlon]; <see cref="Bands"/> describes one step.
    /// </summary>
    public IReadOnlyList<DateTime> TimeSteps { get; init; } = [];

    /// <summary>Samples in the tensor file: the time steps, or 1.</summary>
    public int SampleCount => Math.Max(1, TimeSteps.Count);
}

/// <summary>An ingest job's work: read the sources, resample them onto the grid.</summary>
/// <param name="Sources">
/// Source 0 is the main source, then the additional sources in request order; each is one raster or vector file, or
/// several tiles to mosaic. All readable and validated against the import roots. <see cref="SourceBandSpec.SourceIndex"/>
/// picks the source of each band.
/// </param>
/// <param name="Grid">The target grid (validated against the server's limits).</param>
/// <param name="Bands">Band selection and roles; empty = every band as an input.</param>
/// <param name="MaxRasterPixels">Reject sources larger than this (width × height) with a clear error.</param>
public sealed record IngestWork(IReadOnlyList<IngestSourceFiles> Sources, SphereGrid Grid, IReadOnlyList<SourceBandSpec> Bands, long MaxRasterPixels)
{
    /// <summary>What <see cref="IIngestEngine.InspectAsync"/> read when the request arrived, or null (after a restart or resume) to read it again.</summary>
    public IngestInspection? Inspection { get; init; }

    /// <summary>The API field of each source, for messages: "dataset_id", "server_path.path", "additional_sources[0]", ….</summary>
    public IReadOnlyList<string> SourceFields { get; init; } = [];
}

/// <summary>The sources of an ingest as opened when the request arrived, and the band specs the ingest will use.</summary>
/// <param name="Bands">The band specs, defaults filled in.</param>
/// <param name="Sources">Engine-specific description of the sources (kind, band names, band count).</param>
public sealed record IngestInspection(IReadOnlyList<SourceBandSpec> Bands, object Sources);

/// <summary>The files of one ingest source and what they may read.</summary>
/// <param name="Paths">One raster or vector file, or several tiles to mosaic.</param>
/// <param name="Sandbox">The files the source may consist of; every open goes through it.</param>
/// <param name="DisplayName">How messages and provenance name the source (an upload's file name), or null for the file's own name.</param>
public sealed record IngestSourceFiles(IReadOnlyList<string> Paths, SourceSandbox Sandbox, string? DisplayName = null)
{
    /// <summary>The variable of a NetCDF or HDF5 file to ingest, or null to read the file as a whole.</summary>
    public string? Variable { get; init; }

    /// <summary>The request field that named <see cref="Variable"/>, for errors about it.</summary>
    public string? VariableField { get; init; }

    /// <summary>Where an image without georeferencing lies (EPSG:4326 degrees), or null for a whole-Earth 2:1 image.</summary>
    public GeoBounds? Bounds { get; init; }
}

/// <summary>What ingest produced: values [BandCount, nlat, nlon] on the requested grid, row-major.</summary>
/// <param name="Values">Band values, length BandCount × nlat × nlon.</param>
/// <param name="Mask">Validity per node (1 valid, 0 no data), length nlat × nlon, or null when everything is valid.</param>
/// <param name="Bands">Name, role and resampling of each band, in order.</param>
/// <param name="ProvenanceJson">Source, CRS, bounds, resampling and grid as JSON.</param>
public sealed record IngestOutput(float[] Values, byte[]? Mask, IReadOnlyList<DatasetBand> Bands, string ProvenanceJson)
{
    /// <summary>The steps of a time stack (then <see cref="Values"/> holds [steps × bands, nlat, nlon]), or empty for one sample.</summary>
    public IReadOnlyList<DateTime> TimeSteps { get; init; } = [];
}

/// <summary>The model a training request describes; zero or empty fields take the library's defaults.</summary>
public sealed record ModelRequest
{
    /// <summary>The grid the model must run on, or null for the training datasets' grid.</summary>
    public SphereGrid? Grid { get; init; }

    /// <summary>The network family.</summary>
    public ModelArchitecture Architecture { get; init; } = ModelArchitecture.DiscoUnet;

    /// <summary>Encoder levels, 0 = as many of the default as the grid allows.</summary>
    public int Levels { get; init; }

    /// <summary>Channels of the finest level, 0 = the default.</summary>
    public int BaseChannels { get; init; }

    /// <summary>Residual blocks per level, 0 = the default.</summary>
    public int BlocksPerLevel { get; init; }

    /// <summary>DISCO kernel shape, empty = the default.</summary>
    public IReadOnlyList<int> KernelShape { get; init; } = [];

    /// <summary>DISCO filter basis name, empty = the default.</summary>
    public string Basis { get; init; } = "";

    /// <summary>Filter radius in radians, 0 = the engine's cutoff.</summary>
    public double CutoffRadians { get; init; }

    /// <summary>Segmentation class names, empty = "class_0", "class_1", ….</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];
}

/// <summary>Optimisation settings of a training request; zero fields take the defaults of <see cref="Sphere.Training.TrainingOptions"/>.</summary>
public sealed record TrainingSettings
{
    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; }

    /// <summary>Samples per step.</summary>
    public int BatchSize { get; init; }

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; }

    /// <summary>Weight decay.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Warm-up steps.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Gradient clipping norm.</summary>
    public double GradientClipNorm { get; init; }

    /// <summary>Seed of the weights, the data order and the augmentation.</summary>
    public long Seed { get; init; }

    /// <summary>Rotation augmentation.</summary>
    public RotationAugmentation Rotation { get; init; } = RotationAugmentation.None;

    /// <summary>Checkpoint interval in steps.</summary>
    public int CheckpointEverySteps { get; init; }

    /// <summary>Validations without improvement before stopping, 0 = never.</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>Share of the training datasets held out for validation when none are given.</summary>
    public double ValidationFraction { get; init; }

    /// <summary>Training time limit in seconds, 0 = none.</summary>
    public int TimeLimitSeconds { get; init; }
}

/// <summary>A training request as the engine uses it.</summary>
public sealed record TrainingRequest
{
    /// <summary>The model's name.</summary>
    public string ModelName { get; init; } = "";

    /// <summary>What the model predicts, or null when the request did not say (refused).</summary>
    public ModelTask? Task { get; init; }

    /// <summary>The device lane ("cpu", "cuda", "cuda:N" or "auto"); null or empty = cpu.</summary>
    public string? Device { get; init; }

    /// <summary>The model to build.</summary>
    public ModelRequest Model { get; init; } = new();

    /// <summary>Optimisation settings.</summary>
    public TrainingSettings HyperParameters { get; init; } = new();

    /// <summary>Only the time-stack steps inside this window train, or null for every step.</summary>
    public TimeWindow? TrainingTime { get; init; }

    /// <summary>The training datasets' time-stack steps inside this window validate, or null.</summary>
    public TimeWindow? ValidationTime { get; init; }

    /// <summary>The request as the client sent it (JSON), recorded in the package's provenance.</summary>
    public string RequestJson { get; init; } = "{}";
}

/// <summary>A half-open window of time, [Start, End), in UTC.</summary>
/// <param name="Start">The first instant inside.</param>
/// <param name="End">The first instant after.</param>
public sealed record TimeWindow(DateTime Start, DateTime End)
{
    /// <summary>True when <paramref name="time"/> lies inside.</summary>
    public bool Contains(DateTime time) => time >= Start && time < End;

    /// <summary>True when the two windows share an instant.</summary>
    public bool Overlaps(TimeWindow other) => other is not null && Start < other.End && other.Start < End;

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"[{Start:yyyy-MM-dd'T'HH:mm:ss'Z'}, {End:yyyy-MM-dd'T'HH:mm:ss'Z'})");
}

/// <summary>A training job's work.</summary>
/// <param name="JobId">The job id (stable across resumes).</param>
/// <param name="Request">The request.</param>
/// <param name="Training">Training datasets.</param>
/// <param name="Validation">Validation datasets (may be empty).</param>
/// <param name="WorkingDirectory">Kept across restarts: write checkpoints here (atomically) and look for them on resume.</param>
/// <param name="Attempt">1 for a fresh run, higher when resuming.</param>
/// <param name="PackagePath">Where to write the finished model package (a file the server then moves into its store).</param>
public sealed record TrainingWork(
    string JobId, TrainingRequest Request, IReadOnlyList<GriddedDataset> Training, IReadOnlyList<GriddedDataset> Validation,
    string WorkingDirectory, int Attempt, string PackagePath);

/// <summary>A stored model package.</summary>
/// <param name="ModelId">The model's id.</param>
/// <param name="Name">The model's name, for messages.</param>
/// <param name="PackagePath">Read-only path of the package file.</param>
/// <param name="CacheKey">Identifies the package's content (its SHA-256) for the loaded-model cache.</param>
public sealed record StoredModel(string ModelId, string Name, string PackagePath, string CacheKey);

/// <summary>What a prediction runs on: exactly one of the inputs is set.</summary>
/// <param name="Gridded">A gridded dataset.</param>
/// <param name="RasterPath">A raster file to resample onto the model's grid first.</param>
/// <param name="Panorama">The camera orientation of an equirectangular photo.</param>
/// <param name="PanoramaPath">The photo's path when <paramref name="Panorama"/> is set.</param>
/// <param name="Sandbox">What a raster or photo file may read (required with <paramref name="RasterPath"/> and <paramref name="PanoramaPath"/>).</param>
/// <param name="DisplayName">How messages name the raster or photo (an upload's file name), or null for the file's own name.</param>
public sealed record PredictionInput(GriddedDataset? Gridded, string? RasterPath, CameraOrientation? Panorama, string? PanoramaPath,
    SourceSandbox? Sandbox = null, string? DisplayName = null)
{
    /// <summary>Where a raster without georeferencing lies (EPSG:4326 degrees), or null for a whole-Earth 2:1 image.</summary>
    public GeoBounds? Bounds { get; init; }
}

/// <summary>How a prediction runs.</summary>
/// <param name="Probabilities">Class probabilities instead of values (segmentation models only).</param>
/// <param name="RotationAveraging">Average over this many rotations (test-time augmentation), 0 or 1 = none.</param>
/// <param name="RowsPerTile">Rows per band handed to the sink, 0 = the engine's choice.</param>
public sealed record PredictionSettings(bool Probabilities, int RotationAveraging, int RowsPerTile)
{
    /// <summary>
    /// The model (id or name; the id once resolved) that levels each input before the model runs, or empty for none
    /// (see <see cref="Prediction.Levelling"/>).
    /// </summary>
    public string Leveller { get; init; } = "";

    /// <summary>Extra levelling passes that re-estimate up from the model's own output (segmentation models only).</summary>
    public int LevelRefinements { get; init; }
}

/// <summary>A prediction job's work.</summary>
/// <param name="PredictionId">The prediction's id.</param>
/// <param name="Model">The model to run.</param>
/// <param name="Input">The input.</param>
/// <param name="Settings">Output kind, rotation averaging, rows per tile.</param>
/// <param name="MaxRasterPixels">Reject raster inputs larger than this.</param>
public sealed record PredictionWork(string PredictionId, StoredModel Model, PredictionInput Input, PredictionSettings Settings, long MaxRasterPixels)
{
    /// <summary>The leveller named by <see cref="PredictionSettings.Leveller"/>, or null.</summary>
    public StoredModel? Leveller { get; init; }
}

/// <summary>The area of one class in a class map.</summary>
/// <param name="Class">The class.</param>
/// <param name="AreaKm2">Its area in km².</param>
/// <param name="Fraction">Its share of the valid area.</param>
public sealed record ClassAreaSummary(ClassInfo Class, double AreaKm2, double Fraction);

/// <summary>Area-weighted statistics of one output band.</summary>
/// <param name="Band">The band's name.</param>
/// <param name="Mean">Mean.</param>
/// <param name="Stddev">Standard deviation.</param>
/// <param name="Min">Minimum.</param>
/// <param name="Max">Maximum.</param>
public sealed record BandSummary(string Band, double Mean, double Stddev, double Min, double Max);

/// <summary>What a prediction found: class areas, band statistics and, for labelled inputs, scores against the labels.</summary>
public sealed record MapSummary
{
    /// <summary>Class areas of a class map (empty otherwise).</summary>
    public IReadOnlyList<ClassAreaSummary> ClassAreas { get; init; } = [];

    /// <summary>Statistics per output band.</summary>
    public IReadOnlyList<BandSummary> Statistics { get; init; } = [];

    /// <summary>Scores against the input's labels (accuracy, miou, iou_*, rmse, mae, abs_rel).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Seconds the inference took.</summary>
    public double Seconds { get; init; }

    /// <summary>A time stack's steps, whose outputs the map holds one step after the other (the statistics are of the first); empty for one map.</summary>
    public IReadOnlyList<DateTime> TimeSteps { get; init; } = [];
}

/// <summary>Receives the output map of a prediction as it is computed.</summary>
public interface IPredictionSink
{
    /// <summary>Called once, before any rows: the output grid and bands.</summary>
    ValueTask BeginAsync(SphereGrid grid, IReadOnlyList<DatasetBand> bands, CancellationToken cancellationToken);

    /// <summary>
    /// Rows [rowStart, rowStart + rowCount) of every band: values laid out [bands, rowCount, nlon]; mask [rowCount, nlon]
    /// or empty. May apply back-pressure when clients read slowly.
    /// </summary>
    ValueTask WriteRowsAsync(int rowStart, int rowCount, ReadOnlyMemory<float> values, ReadOnlyMemory<byte> mask, CancellationToken cancellationToken);
}

/// <summary>The model behind a map, as far as rendering and export need it.</summary>
/// <param name="Id">The model's id.</param>
/// <param name="Name">The model's name (may be empty).</param>
/// <param name="Task">"segmentation", "regression" or "depth" (may be empty).</param>
/// <param name="Classes">Its classes (empty for other tasks).</param>
public sealed record MapModel(string Id, string Name, string Task, IReadOnlyList<ClassInfo> Classes);

/// <summary>A finished prediction map (or a gridded dataset) to render or export.</summary>
/// <param name="PredictionId">The prediction's (or dataset's) id.</param>
/// <param name="TensorPath">Read-only tensor file of the map [bands, nlat, nlon].</param>
/// <param name="Grid">The map's grid.</param>
/// <param name="Bands">The map's bands.</param>
/// <param name="Model">The model that made it (classes, colours, task).</param>
public sealed record PredictionMap(string PredictionId, string TensorPath, SphereGrid Grid, IReadOnlyList<DatasetBand> Bands, MapModel Model)
{
    /// <summary>
    /// Only these bands of the tensor file (one time step of a time-stack map; <see cref="Bands"/> then describes
    /// just them), or null for every band.
    /// </summary>
    public (int First, int Count)? BandWindow { get; init; }
}

/// <summary>The GIS formats of exports.</summary>
public enum ExportFileFormat
{
    /// <summary>A tiled GeoTIFF.</summary>
    GeoTiff,

    /// <summary>A Cloud-Optimized GeoTIFF.</summary>
    Cog,

    /// <summary>Class polygons as GeoJSON.</summary>
    GeoJson,

    /// <summary>A colour-mapped PNG preview.</summary>
    Png,
}

/// <summary>One map tile to render as PNG.</summary>
/// <param name="Map">The prediction map.</param>
/// <param name="TileMatrixSet">"WebMercatorQuad" (EPSG:3857) or "WorldCRS84Quad" (EPSG:4326).</param>
/// <param name="Zoom">Zoom level.</param>
/// <param name="Column">Tile column (x), from the west.</param>
/// <param name="Row">Tile row (y), from the north.</param>
/// <param name="Bounds">The tile's bounds in the tile matrix set's CRS: min x, min y, max x, max y (metres or degrees).</param>
/// <param name="SizePixels">Width and height in pixels (256).</param>
/// <param name="Format">"png", or "webp" (lossless) where <see cref="IMapTileRenderer.SupportsFormat"/> says so.</param>
public sealed record MapTileRequest(
    PredictionMap Map, string TileMatrixSet, int Zoom, int Column, int Row, (double MinX, double MinY, double MaxX, double MaxY) Bounds, int SizePixels, string Format = "png");

/// <summary>One class of a map legend.</summary>
/// <param name="Id">Class id (the pixel value of the class map).</param>
/// <param name="Name">Class name.</param>
/// <param name="Color">Colour drawn for the class, "#rrggbb".</param>
public sealed record LegendClass(int Id, string Name, string Color);

/// <summary>One stop of a continuous colour ramp: the colour drawn at that value (linear in between, clamped outside).</summary>
/// <param name="Value">The value.</param>
/// <param name="Color">"#rrggbb".</param>
public sealed record LegendStop(double Value, string Color);

/// <summary>
/// What the map tiles of a prediction show: the class colours of a class map (or of the most probable class), or the
/// colour ramp over the value range of the band drawn.
/// </summary>
/// <param name="Band">Name of the band the tiles draw (the class map, or the first band).</param>
/// <param name="Classes">The classes and their colours; empty for a continuous map.</param>
/// <param name="ColorMap">Name of the colour ramp of a continuous map ("viridis"); empty for class maps.</param>
/// <param name="Minimum">Lowest value of the ramp (the lowest valid value of the map).</param>
/// <param name="Maximum">Highest value of the ramp.</param>
/// <param name="Stops">The ramp's stops, lowest first; empty for class maps.</param>
public sealed record MapLegend(string Band, IReadOnlyList<LegendClass> Classes, string ColorMap, double Minimum, double Maximum, IReadOnlyList<LegendStop> Stops)
{
    /// <summary>True when the tiles show classes.</summary>
    public bool IsCategorical => Classes.Count > 0;
}

/// <summary>A model card: the package's JSON and its format version.</summary>
/// <param name="FormatVersion">Package format version.</param>
/// <param name="Json">The card as JSON.</param>
public sealed record ModelCardJson(int FormatVersion, string Json);
