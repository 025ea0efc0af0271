namespace Disco.Geo.Gdal.Warping;

/// <summary>What <see cref="GdalWarper.Warp"/> resamples, and how.</summary>
public sealed record WarpRequest
{
    /// <summary>Source bands (1-based) to warp, in order.</summary>
    public required IReadOnlyList<int> SourceBands { get; init; }

    /// <summary>Destination bands (1-based) receiving them, same length as <see cref="SourceBands"/>.</summary>
    public required IReadOnlyList<int> DestinationBands { get; init; }

    /// <summary>Resampling kernel (one per warp; warp band groups separately for different kernels).</summary>
    public GdalResampling Resampling { get; init; } = GdalResampling.Bilinear;

    /// <summary>
    /// The destination CRS when <see cref="DestinationMapping"/> is given (e.g. EPSG:4326). When both are null the
    /// destination dataset's own geotransform and CRS are used.
    /// </summary>
    public SpatialReference? DestinationCrs { get; init; }

    /// <summary>A non-affine destination pixel layout; null to use the destination's geotransform.</summary>
    public IPixelMapping? DestinationMapping { get; init; }

    /// <summary>
    /// Per source band, the value that marks invalid source pixels, or null for none. NaN is always treated as invalid
    /// in floating-point bands. Invalid pixels never contribute to a destination pixel.
    /// </summary>
    public IReadOnlyList<double?>? SourceNoData { get; init; }

    /// <summary>
    /// A source band (1-based) whose values are opacity (e.g. the alpha channel of a PNG): pixels where it is 0 never
    /// contribute. 0 for none.
    /// </summary>
    public int SourceAlphaBand { get; init; }

    /// <summary>
    /// Value written to destination pixels no valid source pixel reaches (outside the source, or only nodata). The
    /// destination is initialised with it. Default NaN, for Float32/Float64 destinations.
    /// </summary>
    public double DestinationNoData { get; init; } = double.NaN;

    /// <summary>Restricts the warp to a window of the destination (x, y, width, height); null warps all of it.</summary>
    public (int X, int Y, int Width, int Height)? DestinationWindow { get; init; }

    /// <summary>Memory GDAL may use per chunk, in bytes (GDAL chunks larger warps). Default 64 MiB.</summary>
    public double MemoryLimitBytes { get; init; } = 64.0 * 1024 * 1024;

    /// <summary>Extra GDAL warp options (papszWarpOptions), e.g. SAMPLE_GRID=YES.</summary>
    public IReadOnlyDictionary<string, string>? WarpOptions { get; init; }
}
