using Disco.Geo.Grids;

namespace Disco.Geo.Raster.Ingest;

/// <summary>
/// All nodes of a pole row are the same point of the sphere, but a warp samples them at different longitudes of the
/// source and so gets slightly different values. This sets every node of each pole row to one value: the mean of the
/// row's valid nodes for inputs, the most frequent value (ties to the smaller) for labels. The row becomes valid when at
/// least half its nodes were valid, else invalid.
/// </summary>
internal static class PoleRows
{
    internal static void Unify(SphereGrid grid, float[] data, IReadOnlyList<RasterBandInfo> bands, bool[] valid)
    {
        foreach (int row in new[] { 0, grid.NLat - 1 })
        {
            if (Math.Abs(grid.LatitudeDegrees(row)) < 90.0 - 1e-9)
            {
                continue;
            }

            int nlon = grid.NLon;
            int start = row * nlon;
            int validCount = 0;
            for (int p = 0; p < nlon; p++)
            {
                if (valid[start + p])
                {
                    validCount++;
                }
            }

            bool rowValid = validCount > 0 && 2 * validCount >= nlon;
            int nodes = (int)grid.NodeCount;
            for (int b = 0; b < bands.Count; b++)
            {
                Span<float> values = data.AsSpan(b * nodes + start, nlon);
                if (rowValid)
                {
                    float unified = bands[b].Role == BandRole.Label ? Mode(values, valid.AsSpan(start, nlon)) : Mean(values, valid.AsSpan(start, nlon));
                    values.Fill(unified);
                }
            }

            valid.AsSpan(start, nlon).Fill(rowValid);
        }
    }

    private static float Mean(ReadOnlySpan<float> values, ReadOnlySpan<bool> valid)
    {
        double sum = 0;
        int count = 0;
        for (int p = 0; p < values.Length; p++)
        {
            if (valid[p])
            {
                sum += values[p];
                count++;
            }
        }

        return (float)(sum / count);
    }

    private static float Mode(ReadOnlySpan<float> values, ReadOnlySpan<bool> valid)
    {
        Dictionary<float, int> counts = [];
        for (int p = 0; p < values.Length; p++)
        {
            if (valid[p])
            {
                counts[values[p]] = counts.GetValueOrDefault(values[p]) + 1;
            }
        }

        return counts.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key).First().Key;
    }
}
