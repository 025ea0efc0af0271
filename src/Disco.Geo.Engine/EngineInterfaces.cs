using Disco.Geo.Grids;

namespace Disco.Geo.Engine;

/// <summary>
/// Resamples rasters onto sphere grids (implemented on Disco.Geo.Raster). Runs inside an ingest job; must honour
/// its cancellation token down into GDAL and throw <see cref="EngineInputException"/> for inputs the
/// user must fix (unreadable, corrupt, too large) and <see cref="EngineAccessDeniedException"/> for sources that reach
/// outside their sandbox.
/// </summary>
public interface IIngestEngine
{
    /// <summary>Reads and resamples the sources.</summary>
    /// <param name="work">Sources, grid and bands.</param>
    /// <param name="progress">Progress for watchers.</param>
    /// <param name="cancellationToken">Fires on cancel and on server shutdown.</param>
    Task<IngestOutput> IngestAsync(IngestWork work, IProgress<EngineProgress> progress, CancellationToken cancellationToken);

    /// <summary>
    /// Opens every source far enough to read its kind and bands (no pixels) and checks the band specs against them, so
    /// a bad band choice is refused when the request arrives. Returns the band specs the ingest will use (the defaults
    /// filled in when none were given) and what was read, which <see cref="IngestWork.Inspection"/> hands to the job.
    /// </summary>
    /// <exception cref="EngineInputException">A source that cannot be read, or a band spec it cannot satisfy; <see cref="EngineInputException.Field"/> names the field.</exception>
    Task<IngestInspection> InspectAsync(IngestWork work, CancellationToken cancellationToken);
}

/// <summary>
/// Trains models (implemented on the training engine). Runs inside a training job, exclusive on its device by default.
/// Writes checkpoints atomically into <see cref="TrainingWork.WorkingDirectory"/> and, on resume
/// (<see cref="TrainingWork.Attempt"/> &gt; 1), continues from the last one. Cancellation stops within one step.
/// </summary>
public interface ITrainingEngine
{
    /// <summary>Trains and writes the model package to <see cref="TrainingWork.PackagePath"/>.</summary>
    /// <param name="work">Datasets, configuration and paths.</param>
    /// <param name="progress">Epoch, step, losses, metrics, throughput and ETA.</param>
    /// <param name="cancellationToken">Fires on cancel and on server shutdown.</param>
    /// <exception cref="EngineInputException">The datasets or the request do not fit the task.</exception>
    /// <exception cref="EngineStateException">The job's checkpoint belongs to another configuration.</exception>
    Task TrainAsync(TrainingWork work, IProgress<EngineProgress> progress, CancellationToken cancellationToken);

    /// <summary>
    /// Checks a training request before it is queued: builds the model description on the datasets' grid (the level
    /// grids, channels and filter bases, without weights), checks the hyper-parameters and that the device exists.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="grid">The training datasets' grid.</param>
    /// <param name="inputBands">Input bands of the training datasets.</param>
    /// <param name="labelBands">Label bands of the training datasets.</param>
    /// <exception cref="EngineInputException">A field the engine cannot use; <see cref="EngineInputException.Field"/> names it.</exception>
    void CheckRequest(TrainingRequest request, SphereGrid grid, int inputBands, int labelBands);
}

/// <summary>Runs a model over an input and emits the output map in latitude bands as they are ready.</summary>
public interface IPredictionEngine
{
    /// <summary>Predicts; returns the summary (class areas, statistics).</summary>
    /// <param name="work">Model, input and options.</param>
    /// <param name="sink">Receives the grid, then the rows.</param>
    /// <param name="progress">Progress for watchers.</param>
    /// <param name="cancellationToken">Fires on cancel and on server shutdown.</param>
    /// <exception cref="EngineInputException">An input the model cannot run on.</exception>
    /// <exception cref="EngineAccessDeniedException">A raster or photo that reaches outside its sandbox.</exception>
    /// <exception cref="EngineStateException">The stored model package cannot run here or is damaged.</exception>
    Task<MapSummary> PredictAsync(PredictionWork work, IPredictionSink sink, IProgress<EngineProgress> progress, CancellationToken cancellationToken);
}

/// <summary>Writes a finished prediction as a GIS file (implemented on Disco.Geo.Raster).</summary>
public interface IPredictionExporter
{
    /// <summary>Writes the map in <paramref name="format"/> to <paramref name="outputPath"/> and returns its MIME type.</summary>
    /// <param name="map">The prediction map.</param>
    /// <param name="format">GeoTIFF, COG, GeoJSON or PNG.</param>
    /// <param name="width">Output width in pixels, 0 = the grid's own.</param>
    /// <param name="height">Output height in pixels, 0 = the grid's own.</param>
    /// <param name="outputPath">A temporary path the server streams and deletes afterwards.</param>
    /// <param name="cancellationToken">Fires when the client goes away.</param>
    Task<string> ExportAsync(PredictionMap map, ExportFileFormat format, int width, int height, string outputPath, CancellationToken cancellationToken);
}

/// <summary>Writes an ingested (gridded) dataset as a GeoTIFF or COG on the prediction exports' layout (implemented on Disco.Geo.Raster).</summary>
public interface IDatasetExporter
{
    /// <summary>
    /// Writes the dataset to <paramref name="outputPath"/> (and GDAL's sidecar, if any, to outputPath.aux.xml) and
    /// returns its MIME type.
    /// </summary>
    /// <param name="dataset">The gridded dataset.</param>
    /// <param name="name">Its name, for the file's metadata and messages.</param>
    /// <param name="cog">Cloud-Optimized GeoTIFF, else a tiled GeoTIFF.</param>
    /// <param name="outputPath">A temporary path the server streams and deletes afterwards.</param>
    /// <param name="cancellationToken">Fires when the client goes away.</param>
    Task<string> ExportAsync(GriddedDataset dataset, string name, bool cog, string outputPath, CancellationToken cancellationToken);
}

/// <summary>Renders PNG (or WebP) map tiles of finished predictions for the /tiles endpoint (implemented on Disco.Geo.Raster).</summary>
public interface IMapTileRenderer
{
    /// <summary>True when tiles can be encoded in the format: "png" always, "webp" when GDAL has its WEBP driver.</summary>
    /// <param name="format">"png" or "webp".</param>
    bool SupportsFormat(string format);

    /// <summary>Returns the encoded bytes of one tile, or null when the tile lies outside the map (the endpoint answers 404).</summary>
    /// <param name="request">The map, tile matrix set, tile indices and bounds.</param>
    /// <param name="cancellationToken">Fires when the HTTP client goes away.</param>
    Task<byte[]?> RenderTileAsync(MapTileRequest request, CancellationToken cancellationToken);

    /// <summary>The legend of the map's tiles: class names and colours, or the colour ramp over the value range.</summary>
    /// <param name="map">The prediction map.</param>
    /// <param name="cancellationToken">Fires when the HTTP client goes away.</param>
    Task<MapLegend> DescribeAsync(PredictionMap map, CancellationToken cancellationToken);
}

/// <summary>Reads the card of a model package, validating the file.</summary>
public interface IModelCardReader
{
    /// <summary>Reads the card and format version; throws <see cref="EngineInputException"/> for a file that is not a valid package.</summary>
    /// <param name="packagePath">The package file.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    Task<ModelCardJson> ReadAsync(string packagePath, CancellationToken cancellationToken);
}

/// <summary>Converts model packages to and from safetensors weights files (for PyTorch users).</summary>
public interface IModelWeightsConverter
{
    /// <summary>Writes the package's weights and card as a safetensors file; the same package always gives the same bytes.</summary>
    /// <param name="packagePath">The stored package.</param>
    /// <param name="outputPath">The safetensors file to create.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    Task ExportSafetensorsAsync(string packagePath, string outputPath, CancellationToken cancellationToken);

    /// <summary>
    /// Checks a safetensors file against the architecture its card describes and writes a model package; throws
    /// <see cref="EngineFileException"/> listing every defect (paths relative to the file, e.g. "tensors.enc0.conv.weight.shape").
    /// </summary>
    /// <param name="safetensorsPath">The received file.</param>
    /// <param name="packagePath">The package file to create.</param>
    /// <param name="name">Model name to write into the card, or null to keep the card's.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    Task ImportSafetensorsAsync(string safetensorsPath, string packagePath, string? name, CancellationToken cancellationToken);
}
