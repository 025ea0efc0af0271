using Disco.Geo.Grids;

namespace Disco.Geo.Bench.Panoramas;

/// <summary>
/// Brings linear HDR radiance (the OpenEXR photographs) into the input range the panorama models were trained on.
/// The synthetic panoramas are encoded by Disco.Geo.Scenes as sRGB(1 − e^(−exposure·L)) per channel (an exponential
/// shoulder, then the sRGB transfer curve), with an exposure chosen per scene from its lighting. A photograph gets the
/// same curve, with its exposure found by bisection so that its area-weighted mean display value equals that of the
/// synthetic training set: same operator, same overall brightness, whatever the photo's absolute radiance.
/// </summary>
internal static class PhotoToneMapping
{
    /// <summary>The display value of exposed linear radiance, as Disco.Geo.Scenes encodes it.</summary>
    public static double Encode(double exposedRadiance)
    {
        double linear = 1 - Math.Exp(-Math.Max(0, exposedRadiance));
        return linear <= 0.0031308 ? 12.92 * linear : 1.055 * Math.Pow(linear, 1 / 2.4) - 0.055;
    }

    /// <summary>Area-weighted mean over all bands and nodes of a [bands, NLat, NLon] array.</summary>
    public static double AreaMean(SphereGrid grid, float[] values, Func<double, double>? transform = null)
    {
        double[] areas = grid.RowAreas();
        int nodes = grid.NLat * grid.NLon;
        double sum = 0, weight = 0;
        for (int i = 0; i < values.Length; i++)
        {
            double a = areas[i % nodes / grid.NLon];
            sum += a * (transform is null ? values[i] : transform(values[i]));
            weight += a;
        }

        return sum / weight;
    }

    /// <summary>
    /// Tone-maps <paramref name="radiance"/> [3, NLat, NLon] so that its area-weighted mean display value is
    /// <paramref name="targetMean"/>; returns the display values and the exposure used.
    /// </summary>
    public static (float[] Display, double Exposure) Match(SphereGrid grid, float[] radiance, double targetMean)
    {
        // The mean display value grows monotonically with the exposure: bisect on log(exposure).
        double lo = -20, hi = 20;
        for (int iteration = 0; iteration < 60; iteration++)
        {
            double mid = 0.5 * (lo + hi);
            double exposure = Math.Exp(mid);
            double mean = AreaMean(grid, radiance, v => Encode(exposure * v));
            (lo, hi) = mean < targetMean ? (mid, hi) : (lo, mid);
        }

        double chosen = Math.Exp(0.5 * (lo + hi));
        return (radiance.Select(v => (float)Encode(chosen * v)).ToArray(), chosen);
    }
}
