namespace Disco.Geo.Raster.Rendering;

/// <summary>How an RGB preview turns values into 8-bit colour.</summary>
public sealed record RgbRenderOptions
{
    /// <summary>Values are multiplied by this first (1/255 for 8-bit imagery; an exposure for HDR). Default 1/255.</summary>
    public double Scale { get; init; } = 1.0 / 255.0;

    /// <summary>Compress HDR values with Reinhard's x/(1+x) before display. Default false.</summary>
    public bool ToneMap { get; init; }

    /// <summary>Display gamma applied after scaling (2.2 for linear HDR radiance, 1 for 8-bit imagery). Default 1.</summary>
    public double Gamma { get; init; } = 1.0;
}

/// <summary>
/// PNG previews of sphere-grid maps as global equirectangular images (the first column at 180° W, the top row at the
/// north pole or zenith): one band through a <see cref="ColorMap"/>, or three bands as RGB (imagery, panoramas).
/// Invalid nodes are transparent.
/// </summary>
public static class MapRenderer
{
    /// <summary>Renders one band through a colour map; width × width/2 pixels (default 2·NLon, at most 8192).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The band or size is out of range.</exception>
    // Hot loop: compiled optimised at once; tiering would run the first calls unoptimised on a busy machine.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static byte[] RenderPng(SphereRaster raster, ColorMap colorMap, int band = 0, int? width = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(raster);
        ArgumentNullException.ThrowIfNull(colorMap);
        int w = CheckWidth(width ?? Math.Min(8192, 2 * raster.Grid.NLon));
        int h = w / 2;
        SphereMapSampler sampler = new(raster, band, colorMap.IsCategorical);
        PngEncoder.Image image = new(w, h);
        for (int y = 0; y < h; y++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = sampler.Rows(90 - (y + 0.5) * 180.0 / h);
            for (int x = 0; x < w; x++)
            {
                image.Set(y * w + x, colorMap.Map(sampler.Sample(rows, -180 + (x + 0.5) * 360.0 / w)));
            }
        }

        return PngEncoder.Encode(image, cancellationToken);
    }

    /// <summary>
    /// Renders one band through a colour map on the map's GeoTIFF layout (Disco.Geo.Raster.Outputs.RegularLayout): the
    /// same pixels as the COG export, one per grid node where the grid's latitudes are equispaced (NLon × NLat for
    /// equiangular and equirectangular grids), so the image and the COG line up pixel for pixel.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The band is out of range or the grid is wider than 16384 columns.</exception>
    public static byte[] RenderLayoutPng(SphereRaster raster, ColorMap colorMap, int band = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(raster);
        ArgumentNullException.ThrowIfNull(colorMap);
        ArgumentOutOfRangeException.ThrowIfNegative(band);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(band, raster.BandCount);
        Outputs.RegularLayout layout = Outputs.RegularLayout.For(raster.Grid);
        CheckWidth(layout.Width);
        (float[] values, bool[] valid) = layout.Resample(raster, band, colorMap.IsCategorical, float.NaN);
        PngEncoder.Image image = new(layout.Width, layout.Height);
        for (int k = 0; k < values.Length; k++)
        {
            if ((k % layout.Width) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            image.Set(k, colorMap.Map(valid[k] ? values[k] : double.NaN));
        }

        return PngEncoder.Encode(image, cancellationToken);
    }

    /// <summary>Renders three bands as RGB; width × width/2 pixels (default 2·NLon, at most 8192).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A band or the size is out of range.</exception>
    // Hot loop: compiled optimised at once; tiering would run the first calls unoptimised on a busy machine.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static byte[] RenderRgbPng(SphereRaster raster, (int Red, int Green, int Blue) bands, RgbRenderOptions? options = null, int? width = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(raster);
        options ??= new RgbRenderOptions();
        if (options.Gamma <= 0 || !double.IsFinite(options.Scale))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Gamma must be positive and Scale finite.");
        }

        int w = CheckWidth(width ?? Math.Min(8192, 2 * raster.Grid.NLon));
        int h = w / 2;
        SphereMapSampler[] samplers = [new(raster, bands.Red, false), new(raster, bands.Green, false), new(raster, bands.Blue, false)];
        PngEncoder.Image image = new(w, h);
        for (int y = 0; y < h; y++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = samplers[0].Rows(90 - (y + 0.5) * 180.0 / h);
            for (int x = 0; x < w; x++)
            {
                double lon = -180 + (x + 0.5) * 360.0 / w;
                double r = samplers[0].Sample(rows, lon);
                double g = samplers[1].Sample(rows, lon);
                double b = samplers[2].Sample(rows, lon);
                image.Set(y * w + x, double.IsNaN(r) || double.IsNaN(g) || double.IsNaN(b)
                    ? Rgba.Transparent
                    : new Rgba(Display(r, options), Display(g, options), Display(b, options)));
            }
        }

        return PngEncoder.Encode(image, cancellationToken);
    }

    internal static byte Display(double value, RgbRenderOptions options)
    {
        double v = Math.Max(0, value * options.Scale);
        if (options.ToneMap)
        {
            v /= 1 + v;
        }

        if (options.Gamma != 1)
        {
            v = Math.Pow(v, 1 / options.Gamma);
        }

        return (byte)Math.Clamp(Math.Round(v * 255), 0, 255);
    }

    private static int CheckWidth(int width)
    {
        if (width < 2 || width > 16384)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "The preview width must be within 2..16384 pixels.");
        }

        return width;
    }
}
