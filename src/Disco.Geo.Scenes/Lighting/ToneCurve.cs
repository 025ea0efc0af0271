using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Lighting;

/// <summary>
/// Linear radiance → display value in [0, 1]: an exponential shoulder 1 − e^(−exposure·L), which keeps highlights
/// from clipping hard, then the sRGB transfer curve. The composite curve is tabulated once, from deterministic
/// arithmetic, on a fine grid of exposure·L and interpolated linearly (error below 10^-3, a fifth of an 8-bit step).
/// </summary>
internal static class ToneCurve
{
    // Beyond this exposed radiance the curve is within 10^-5 of white.
    private const double Range = 12;
    private const int TableSize = 8192;
    private const double Scale = TableSize / Range;
    private static readonly float[] Table = BuildTable();

    public static float Encode(double radiance, double exposure)
    {
        double position = Math.Max(exposure * radiance, 0) * Scale;
        if (!(position < TableSize))
        {
            return Table[TableSize];
        }

        int index = (int)position;
        double fraction = position - index;
        return (float)(Table[index] + (Table[index + 1] - Table[index]) * fraction);
    }

    /// <summary>The sRGB encoding of a linear value in [0, 1] (IEC 61966-2-1).</summary>
    public static double Srgb(double linear) =>
        linear <= 0.0031308 ? 12.92 * linear : 1.055 * DeterministicMath.Pow(linear, 1 / 2.4) - 0.055;

    private static float[] BuildTable()
    {
        float[] table = new float[TableSize + 1];
        for (int i = 0; i <= TableSize; i++)
        {
            table[i] = (float)Math.Min(1, Srgb(1 - DeterministicMath.Exp(-i / Scale)));
        }

        return table;
    }
}
