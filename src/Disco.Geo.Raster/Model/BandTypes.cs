namespace Disco.Geo.Raster;

/// <summary>What a band of a <see cref="SphereRaster"/> is for; decides its default resampling and how it is stored.</summary>
public enum BandRole
{
    /// <summary>A continuous model input (reflectance, elevation, temperature): bilinear by default.</summary>
    Input,

    /// <summary>A class label or other categorical value: mode (majority) by default, never interpolated.</summary>
    Label,

    /// <summary>
    /// A validity band (non-zero = valid): nearest by default. Mask bands are not kept as data; they are combined into
    /// <see cref="SphereRaster.Valid"/>.
    /// </summary>
    Mask,
}

/// <summary>Resampling kernels offered for ingest and output reprojection (GDAL's warp kernels).</summary>
public enum Resampling
{
    /// <summary>Nearest source pixel. For labels when the grid is finer than the source.</summary>
    Nearest,

    /// <summary>Bilinear; GDAL widens the kernel to the footprint when downsampling, so it also smooths.</summary>
    Bilinear,

    /// <summary>Cubic convolution (widened when downsampling).</summary>
    Cubic,

    /// <summary>Cubic B-spline.</summary>
    CubicSpline,

    /// <summary>Lanczos windowed sinc.</summary>
    Lanczos,

    /// <summary>Area-weighted mean of the source pixels in each node's cell: the right choice for continuous data when downsampling.</summary>
    Average,

    /// <summary>Most frequent source value in each node's cell: the right choice for class labels.</summary>
    Mode,
}

/// <summary>Description of one band of a <see cref="SphereRaster"/>.</summary>
/// <param name="Name">Band name (from the request, else the source band description, colour, or "band{n}").</param>
/// <param name="Role">What the band is for.</param>
/// <param name="Resampling">How it was resampled onto the grid (null for bands made on the grid, e.g. predictions).</param>
/// <param name="SourceBand">1-based band of the source it came from, when it came from one.</param>
/// <param name="Unit">Unit of the values, when known (e.g. "meters").</param>
public sealed record RasterBandInfo(string Name, BandRole Role = BandRole.Input, Resampling? Resampling = null, int? SourceBand = null, string? Unit = null);

/// <summary>Choice of one source band for ingest.</summary>
/// <param name="SourceBand">1-based band number in the source.</param>
/// <param name="Role">Role of the band; decides the default resampling.</param>
/// <param name="Name">Name in the result; defaults to the source band's description.</param>
/// <param name="Resampling">Kernel; defaults by role (see <see cref="Ingest.RasterIngestOptions"/>).</param>
public sealed record BandSelection(int SourceBand, BandRole Role = BandRole.Input, string? Name = null, Resampling? Resampling = null);

internal static class ResamplingConversions
{
    internal static Gdal.GdalResampling ToGdal(this Resampling resampling) => resampling switch
    {
        Resampling.Nearest => Gdal.GdalResampling.Nearest,
        Resampling.Bilinear => Gdal.GdalResampling.Bilinear,
        Resampling.Cubic => Gdal.GdalResampling.Cubic,
        Resampling.CubicSpline => Gdal.GdalResampling.CubicSpline,
        Resampling.Lanczos => Gdal.GdalResampling.Lanczos,
        Resampling.Average => Gdal.GdalResampling.Average,
        Resampling.Mode => Gdal.GdalResampling.Mode,
        _ => throw new ArgumentOutOfRangeException(nameof(resampling), resampling, "Unknown resampling."),
    };

    internal static string ToName(this Resampling resampling) => resampling switch
    {
        Resampling.Nearest => "nearest",
        Resampling.Bilinear => "bilinear",
        Resampling.Cubic => "cubic",
        Resampling.CubicSpline => "cubicspline",
        Resampling.Lanczos => "lanczos",
        Resampling.Average => "average",
        Resampling.Mode => "mode",
        _ => throw new ArgumentOutOfRangeException(nameof(resampling), resampling, "Unknown resampling."),
    };

    /// <summary>Parses "bilinear", "mode", "near"/"nearest", … (case-insensitive).</summary>
    internal static Resampling Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "nearest" or "near" => Resampling.Nearest,
        "bilinear" => Resampling.Bilinear,
        "cubic" => Resampling.Cubic,
        "cubicspline" => Resampling.CubicSpline,
        "lanczos" => Resampling.Lanczos,
        "average" or "mean" => Resampling.Average,
        "mode" or "majority" => Resampling.Mode,
        _ => throw new ArgumentException(
            $"Unknown resampling '{name}'. Use nearest, bilinear, cubic, cubicspline, lanczos, average or mode.", nameof(name)),
    };
}
