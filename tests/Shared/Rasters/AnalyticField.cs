namespace Disco.Geo;

/// <summary>The known truth of the raster tests and benchmarks: a smooth function on the sphere.</summary>
internal static class AnalyticField
{
    /// <summary>
    /// 10 + 3x − 2y + 4z + 1.5xz − y² in the Cartesian coordinates of (latitude°, longitude°): degree ≤ 2, so continuous
    /// at the poles and the antimeridian, values 2..18.
    /// </summary>
    public static double F(double latDegrees, double lonDegrees)
    {
        double lat = latDegrees * Math.PI / 180;
        double lon = lonDegrees * Math.PI / 180;
        double x = Math.Cos(lat) * Math.Cos(lon);
        double y = Math.Cos(lat) * Math.Sin(lon);
        double z = Math.Sin(lat);
        return 10 + (3 * x) - (2 * y) + (4 * z) + (1.5 * x * z) - (y * y);
    }
}
