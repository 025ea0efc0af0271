namespace Disco.Geo.Scenes.Materials;

/// <summary>
/// Periodic patterns averaged over the pixel footprint (a box filter of width <c>footprint</c> metres), computed in
/// closed form from the pattern's integral. This is what keeps tile grout and plank seams from aliasing into moiré at
/// panorama resolutions without supersampling.
/// </summary>
internal static class FilteredPatterns
{
    /// <summary>
    /// Fraction of [x − footprint/2, x + footprint/2] covered by lines of <paramref name="width"/> centred on the
    /// multiples of <paramref name="period"/>.
    /// </summary>
    public static double Lines(double x, double period, double width, double footprint)
    {
        double shifted = x + 0.5 * width;
        if (footprint <= 1e-9)
        {
            return Modulo(shifted, period) < width ? 1 : 0;
        }

        double covered = LineIntegral(shifted + 0.5 * footprint, period, width) - LineIntegral(shifted - 0.5 * footprint, period, width);
        return Math.Clamp(covered / footprint, 0, 1);
    }

    /// <summary>Average of the square wave that is +1 on [0, P/2) and −1 on [P/2, P) over the footprint.</summary>
    public static double Square(double x, double period, double footprint)
    {
        if (footprint <= 1e-9)
        {
            return Modulo(x, period) < 0.5 * period ? 1 : -1;
        }

        double integral = SquareIntegral(x + 0.5 * footprint, period) - SquareIntegral(x - 0.5 * footprint, period);
        return Math.Clamp(integral / footprint, -1, 1);
    }

    /// <summary>
    /// Coverage of a line of <paramref name="halfWidth"/> by a pixel whose centre is <paramref name="distance"/> from
    /// the line's axis: a linear ramp over the footprint, the usual cheap box-filter approximation.
    /// </summary>
    public static double Stroke(double distance, double halfWidth, double footprint)
    {
        double ramp = Math.Max(footprint, 1e-6);
        return Math.Clamp((halfWidth - Math.Abs(distance)) / ramp + 0.5, 0, 1) * Math.Min(1, 2 * halfWidth / ramp);
    }

    /// <summary>1 while the footprint is well below <paramref name="featureSize"/>, falling to 0 as it reaches it.</summary>
    public static double Detail(double footprint, double featureSize) => Math.Clamp(1.5 - 1.5 * footprint / featureSize, 0, 1);

    private static double Modulo(double x, double period) => x - period * Math.Floor(x / period);

    private static double LineIntegral(double x, double period, double width)
    {
        double n = Math.Floor(x / period);
        return n * width + Math.Min(x - n * period, width);
    }

    private static double SquareIntegral(double x, double period)
    {
        double r = Modulo(x, period);
        return r < 0.5 * period ? r : period - r;
    }
}
