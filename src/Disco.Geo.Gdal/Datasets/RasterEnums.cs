namespace Disco.Geo.Gdal;

/// <summary>Pixel data types (GDALDataType) this binding reads and writes.</summary>
public enum GdalDataType
{
    /// <summary>Unknown or unsupported (complex, 64-bit integer, …).</summary>
    Unknown = 0,

    /// <summary>Unsigned 8-bit integer.</summary>
    Byte = 1,

    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 2,

    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 3,

    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 4,

    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 5,

    /// <summary>32-bit IEEE float.</summary>
    Float32 = 6,

    /// <summary>64-bit IEEE float.</summary>
    Float64 = 7,
}

/// <summary>Band colour interpretation (GDALColorInterp), the subset we use.</summary>
public enum ColorInterpretation
{
    /// <summary>Not specified.</summary>
    Undefined = 0,

    /// <summary>Grey levels.</summary>
    Gray = 1,

    /// <summary>Indices into a colour table.</summary>
    Palette = 2,

    /// <summary>Red.</summary>
    Red = 3,

    /// <summary>Green.</summary>
    Green = 4,

    /// <summary>Blue.</summary>
    Blue = 5,

    /// <summary>Alpha (0 transparent, max opaque).</summary>
    Alpha = 6,
}

/// <summary>GDAL resampling algorithms (GDALResampleAlg) offered for warping and overviews.</summary>
public enum GdalResampling
{
    /// <summary>Nearest neighbour.</summary>
    Nearest = 0,

    /// <summary>Bilinear (2×2 kernel, widened when downsampling).</summary>
    Bilinear = 1,

    /// <summary>Cubic convolution (4×4 kernel, widened when downsampling).</summary>
    Cubic = 2,

    /// <summary>Cubic B-spline.</summary>
    CubicSpline = 3,

    /// <summary>Lanczos windowed sinc.</summary>
    Lanczos = 4,

    /// <summary>Weighted average of all contributing source pixels.</summary>
    Average = 5,

    /// <summary>Most frequent value of all contributing source pixels.</summary>
    Mode = 6,
}

/// <summary>An RGBA colour table entry (0..255 each).</summary>
/// <param name="Red">Red.</param>
/// <param name="Green">Green.</param>
/// <param name="Blue">Blue.</param>
/// <param name="Alpha">Alpha (255 = opaque).</param>
public readonly record struct ColorEntry(byte Red, byte Green, byte Blue, byte Alpha = 255);

internal static class GdalResamplingNames
{
    /// <summary>The -r value of the command-line utilities.</summary>
    internal static string ToUtilityName(this GdalResampling resampling) => resampling switch
    {
        GdalResampling.Nearest => "near",
        GdalResampling.Bilinear => "bilinear",
        GdalResampling.Cubic => "cubic",
        GdalResampling.CubicSpline => "cubicspline",
        GdalResampling.Lanczos => "lanczos",
        GdalResampling.Average => "average",
        GdalResampling.Mode => "mode",
        _ => throw new ArgumentOutOfRangeException(nameof(resampling), resampling, "Unknown resampling."),
    };
}
