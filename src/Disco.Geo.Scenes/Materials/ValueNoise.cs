using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Materials;

/// <summary>
/// Value noise: random values on the integer lattice, blended with a smoothstep. Octave sums fade out the octaves
/// whose wavelength is shorter than about two pixel footprints, so distant surfaces turn to their mean instead of
/// aliasing into speckle.
/// </summary>
internal static class ValueNoise
{
    /// <summary>Noise in [0, 1] with one lattice cell per unit.</summary>
    public static double Sample(double u, double v, ulong seed)
    {
        double fu = Math.Floor(u);
        double fv = Math.Floor(v);
        long iu = (long)fu;
        long iv = (long)fv;
        double tu = Smooth(u - fu);
        double tv = Smooth(v - fv);
        double a = SplitMix64.Lattice(seed, iu, iv);
        double b = SplitMix64.Lattice(seed, iu + 1, iv);
        double c = SplitMix64.Lattice(seed, iu, iv + 1);
        double d = SplitMix64.Lattice(seed, iu + 1, iv + 1);
        double bottom = a + (b - a) * tu;
        double top = c + (d - c) * tu;
        return bottom + (top - bottom) * tv;
    }

    /// <summary>
    /// Fractal sum of <paramref name="octaves"/> octaves starting at <paramref name="frequency"/> cycles per metre,
    /// each half the amplitude of the previous; zero mean, within [−0.5, 0.5]. <paramref name="footprint"/> is the
    /// pixel's width on the surface in metres.
    /// </summary>
    public static double Fractal(double u, double v, double frequency, int octaves, double footprint, ulong seed)
    {
        double sum = 0;
        double total = 0;
        double amplitude = 1;
        double f = frequency;
        for (int k = 0; k < octaves; k++)
        {
            total += amplitude;
            double fade = Math.Clamp((0.5 - footprint * f) * 4, 0, 1);
            if (fade > 0)
            {
                sum += amplitude * fade * (Sample(u * f, v * f, seed + (ulong)k) - 0.5);
            }

            amplitude *= 0.5;
            f *= 2.03;
        }

        return sum / total;
    }

    private static double Smooth(double t) => t * t * (3 - 2 * t);
}
