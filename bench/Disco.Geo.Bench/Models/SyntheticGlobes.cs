using Disco.Geo.Grids;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Rotations;

namespace Disco.Geo.Bench.Models;

/// <summary>
/// Band-limited random inputs for the model benchmarks: each band is a random polynomial of degree ≤ 4 in (x, y, z)
/// on the unit sphere — a combination of spherical harmonics of degree ≤ 4, smooth enough that resampling it on a
/// rotated grid costs little interpolation error — and the label is where band 0 is positive.
/// </summary>
internal static class SyntheticGlobes
{
    public static SphereSample Sample(SphereGrid grid, int bands, int seed)
    {
        Random random = new(seed);
        int nodes = grid.NLat * grid.NLon;
        float[] input = new float[bands * nodes];
        int[] classes = new int[nodes];
        for (int b = 0; b < bands; b++)
        {
            // 35 monomials x^i y^j z^k with i + j + k ≤ 4.
            List<(int I, int J, int K, double C)> terms = [];
            for (int i = 0; i <= 4; i++)
            {
                for (int j = 0; i + j <= 4; j++)
                {
                    for (int k = 0; i + j + k <= 4; k++)
                    {
                        terms.Add((i, j, k, random.NextDouble() * 2 - 1));
                    }
                }
            }

            for (int r = 0; r < grid.NLat; r++)
            {
                for (int p = 0; p < grid.NLon; p++)
                {
                    (double x, double y, double z) = Rotation.ToVector(grid.Colatitude(r), grid.LongitudeDegrees(p) * Math.PI / 180);
                    double value = terms.Sum(t => t.C * Math.Pow(x, t.I) * Math.Pow(y, t.J) * Math.Pow(z, t.K));
                    input[b * nodes + r * grid.NLon + p] = (float)value;
                    if (b == 0)
                    {
                        classes[r * grid.NLon + p] = value > 0 ? 1 : 0;
                    }
                }
            }
        }

        return SphereSample.ForSegmentation(input, classes, grid.NLat, grid.NLon);
    }

    public static InMemorySphereDataset Dataset(SphereGrid grid, int bands, int count, int seed) =>
        new(grid, Enumerable.Range(0, count).Select(i => Sample(grid, bands, seed * 1000 + i)));
}
