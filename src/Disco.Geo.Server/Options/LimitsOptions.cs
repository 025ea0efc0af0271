namespace Disco.Geo.Server.Options;

/// <summary>Size limits ("Limits" section).</summary>
public sealed class LimitsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Limits";

    /// <summary>Largest gRPC message the server accepts. Chunks are at most 1 MiB, so 4 MiB leaves room.</summary>
    public int MaxReceiveMessageBytes { get; set; } = OptionDefaults.MaxReceiveMessageBytes;

    /// <summary>Largest gRPC message the server sends.</summary>
    public int MaxSendMessageBytes { get; set; } = OptionDefaults.MaxSendMessageBytes;

    /// <summary>Largest accepted upload or model import.</summary>
    public long MaxUploadBytes { get; set; } = OptionDefaults.MaxUploadBytes;

    /// <summary>
    /// Bytes of a client stream still read after its call was answered early (a refused upload) so the client's
    /// end of stream arrives before the answer and the connection stays usable; beyond this the server answers anyway.
    /// 0 turns the drain off.
    /// </summary>
    public int RequestDrainBytes { get; set; } = OptionDefaults.RequestDrainBytes;

    /// <summary>How long the server waits for that end of stream before it answers anyway (at most a day; 0 turns the drain off).</summary>
    public TimeSpan RequestDrainTimeout { get; set; } = TimeSpan.FromSeconds(OptionDefaults.RequestDrainSeconds);

    /// <summary>Largest grid or raster side (rows or columns).</summary>
    public int MaxRasterDimension { get; set; } = OptionDefaults.MaxRasterDimension;

    /// <summary>Largest grid or raster node count (rows × columns).</summary>
    public long MaxRasterPixels { get; set; } = OptionDefaults.MaxRasterPixels;

    /// <summary>Smallest upload chunk (the last chunk may be smaller).</summary>
    public int MinChunkBytes { get; set; } = OptionDefaults.MinChunkBytes;

    /// <summary>Largest upload chunk.</summary>
    public int MaxChunkBytes { get; set; } = OptionDefaults.MaxChunkBytes;

    /// <summary>
    /// Chunk size of everything the server streams (dataset downloads, model and prediction exports) and of the
    /// buffers it receives into when the client names none.
    /// </summary>
    public int TransferChunkBytes { get; set; } = OptionDefaults.TransferChunkBytes;

    // Request sizes. Every repeated, map and string field of every request is bounded by one of these (see
    // Services/RequestLimits.cs, which lists each field's setting), checked when the request arrives, before anything
    // is opened or queued: one request must not hold a lane for minutes or grow the database without bound.

    /// <summary>Band specs of an ingest (IngestDatasetRequest.bands).</summary>
    public int MaxBandSpecs { get; set; } = OptionDefaults.MaxBandSpecs;

    /// <summary>Additional sources of an ingest (IngestDatasetRequest.additional_sources).</summary>
    public int MaxAdditionalSources { get; set; } = OptionDefaults.MaxAdditionalSources;

    /// <summary>Tiles of a tile-list ingest (IngestDatasetRequest.tiles.paths); each is opened to check it.</summary>
    public int MaxTilePaths { get; set; } = OptionDefaults.MaxTilePaths;

    /// <summary>Class names of a segmentation model (ModelConfig.class_names); the engine supports class ids 0..4095.</summary>
    public int MaxClassNames { get; set; } = OptionDefaults.MaxClassNames;

    /// <summary>Training plus validation datasets of one training request.</summary>
    public int MaxTrainingDatasets { get; set; } = OptionDefaults.MaxTrainingDatasets;

    /// <summary>Entries of a labels map (datasets and uploads).</summary>
    public int MaxLabels { get; set; } = OptionDefaults.MaxLabels;

    /// <summary>Characters of a label key or value.</summary>
    public int MaxLabelLength { get; set; } = OptionDefaults.MaxLabelLength;

    /// <summary>Entries of a band's label value map (BandSpec.label_map).</summary>
    public int MaxLabelMapEntries { get; set; } = OptionDefaults.MaxLabelMapEntries;

    /// <summary>
    /// Characters of a name or an id a request refers to (dataset, model, prediction and job references, name
    /// prefixes, band and class names). New names must also follow the name rule, which allows at most 128.
    /// </summary>
    public int MaxNameLength { get; set; } = OptionDefaults.MaxNameLength;

    /// <summary>Characters of a request_id (idempotency key).</summary>
    public int MaxRequestIdLength { get; set; } = OptionDefaults.MaxRequestIdLength;

    /// <summary>Characters of a server-side path.</summary>
    public int MaxPathLength { get; set; } = OptionDefaults.MaxPathLength;

    /// <summary>Characters of a description.</summary>
    public int MaxDescriptionLength { get; set; } = OptionDefaults.MaxDescriptionLength;

    /// <summary>
    /// Characters of the short fields not listed above: page tokens, checksums, device and basis names, file names.
    /// </summary>
    public int MaxTokenLength { get; set; } = OptionDefaults.MaxTokenLength;
}
