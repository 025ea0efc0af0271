using Disco.Geo.Grids;

namespace Disco.Geo.Raster.Tests.Support;

/// <summary>Synthetic maps on sphere grids for the output tests.</summary>
internal static class Maps
{
    /// <summary>f at every node.</summary>
    internal static SphereRaster Continuous(SphereGrid grid, string name = "f", string? unit = null)
    {
        float[] data = new float[grid.NodeCount];
        for (int i = 0; i < grid.NLat; i++)
        {
            for (int p = 0; p < grid.NLon; p++)
            {
                data[i * grid.NLon + p] = (float)AnalyticField.F(grid.LatitudeDegrees(i), grid.LongitudeDegrees(p));
            }
        }

        return new SphereRaster(grid, data, [new RasterBandInfo(name, Unit: unit)]);
    }

    /// <summary>Class id from a function of (lat, lon); nodes where it returns -1 are invalid.</summary>
    internal static SphereRaster Classes(SphereGrid grid, Func<double, double, int> classOf)
    {
        float[] data = new float[grid.NodeCount];
        bool[] valid = new bool[grid.NodeCount];
        for (int i = 0; i < grid.NLat; i++)
        {
            for (int p = 0; p < grid.NLon; p++)
            {
                int id = classOf(grid.LatitudeDegrees(i), grid.LongitudeDegrees(p));
                valid[i * grid.NLon + p] = id >= 0;
                data[i * grid.NLon + p] = Math.Max(id, 0);
            }
        }

        return new SphereRaster(grid, data, [new RasterBandInfo("class", BandRole.Label)], valid);
    }
}
