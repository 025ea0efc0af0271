namespace Disco.Geo.Raster.Ingest;

/// <summary>How <see cref="RasterIngestor"/> resamples a source onto a grid.</summary>
public sealed record RasterIngestOptions
{
    /// <summary>Bands to ingest, in order, with roles; null ingests every band as <see cref="BandRole.Input"/>.</summary>
    public IReadOnlyList<BandSelection>? Bands { get; init; }

    /// <summary>
    /// Kernel for <see cref="BandRole.Input"/> bands without an explicit one. Null (the default) chooses by scale:
    /// <see cref="Resampling.Average"/> when source pixels are smaller than the grid's cells (GDAL's bilinear would
    /// then blur over about two cells), <see cref="Resampling.Bilinear"/> otherwise.
    /// </summary>
    public Resampling? InputResampling { get; init; }

    /// <summary>Kernel for <see cref="BandRole.Label"/> bands without an explicit one. Default mode.</summary>
    public Resampling LabelResampling { get; init; } = Resampling.Mode;

    /// <summary>Apply each band's scale and offset (value = stored·scale + offset). Default true.</summary>
    public bool ApplyScaleOffset { get; init; } = true;

    /// <summary>
    /// Make every node of a pole row equal (the row's mean for inputs, its most frequent value for labels), because all
    /// those nodes are the same point. Default true; only affects grids with pole rows.
    /// </summary>
    public bool UnifyPoleRows { get; init; } = true;

    /// <summary>Size limits checked before anything is allocated.</summary>
    public RasterLimits Limits { get; init; } = RasterLimits.Default;

    /// <summary>
    /// The fraction of the resampling done (0 to 1), reported synchronously from GDAL's warp as it goes, or null. A
    /// long warp shows progress, and a caller can tell that the warp is under way.
    /// </summary>
    public IProgress<double>? Progress { get; init; }
}

/// <summary>
/// Size limits that reject absurd inputs before any allocation. The source is streamed by GDAL in chunks, so the
/// source limit bounds time rather than memory; the result limit bounds memory.
/// </summary>
public sealed record RasterLimits
{
    /// <summary>Defaults: 2³² source pixels, 2 GiB of result, 100 000 tiles.</summary>
    public static RasterLimits Default { get; } = new();

    /// <summary>Largest accepted source width × height.</summary>
    public long MaxSourcePixels { get; init; } = 1L << 32;

    /// <summary>Largest accepted result (bands × nodes × 4 bytes).</summary>
    public long MaxResultBytes { get; init; } = 2L << 30;

    /// <summary>Largest accepted number of tiles in one mosaic.</summary>
    public int MaxTiles { get; init; } = 100_000;

    /// <summary>
    /// The name under which the caller's users raise <see cref="MaxSourcePixels"/>, for the advice in the error (a
    /// server names its own setting); null leaves the advice out. The same holds for the two below.
    /// </summary>
    public string? MaxSourcePixelsSetting { get; init; } = "RasterLimits.MaxSourcePixels";

    /// <summary>The name under which <see cref="MaxResultBytes"/> is raised; null: not adjustable, not mentioned.</summary>
    public string? MaxResultBytesSetting { get; init; } = "RasterLimits.MaxResultBytes";

    /// <summary>The name under which <see cref="MaxTiles"/> is raised; null: not adjustable, not mentioned.</summary>
    public string? MaxTilesSetting { get; init; } = "RasterLimits.MaxTiles";

    /// <summary>" or raise NAME" for an error message, or nothing when the limit is not adjustable.</summary>
    internal static string RaiseAdvice(string? setting, string suffix = "") => setting is null ? "" : $", or raise {setting}{suffix}";
}
