using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Lighting;

/// <summary>
/// Linear radiance → display value in [0, 1]: an exponential shoulder 1 − e^(−exposure·L), which keeps highlights
/// from clipping hard, then the sRGB transfer curve. The curve is tabulated once from deterministic arithmetic.
/// </summary>
internal static class ToneCurve
{
    private const int TableSize = 4096;
    private static readonly float[] SrgbTable = BuildSrgbTable();

    public static float Encode(double radiance, double exposure)
    {
        double x = 1 - DeterministicMath.Exp(-exposure * Math.Max(radiance, 0));
        double position = x * TableSize;
        int index = Math.Min((int)position, TableSize - 1);
        double fraction = position - index;
        return (float)(SrgbTable[index] + (SrgbTable[index + 1] - SrgbTable[index]) * fraction);
    }

    /// <summary>The sRGB encoding of a linear value in [0, 1] (IEC 61966-2-1).</summary>
    public static double Srgb(double linear) =>
        linear <= 0.0031308 ? 12.92 * linear : 1.055 * DeterministicMath.Pow(linear, 1 / 2.4) - 0.055;

    private static float[] BuildSrgbTable()
    {
        float[] table = new float[TableSize + 1];
        for (int i = 0; i <= TableSize; i++)
        {
            table[i] = (float)Srgb((double)i / TableSize);
        }

        return table;
    }
}
