using NetTopologySuite.Geometries;

namespace Disco.Geo.Raster.Statistics;

/// <summary>
/// Areas on the WGS 84 ellipsoid of polygons given in longitude/latitude degrees, with every edge taken as a straight
/// line in longitude/latitude (which is how GeoJSON in EPSG:4326 is drawn, and exactly the shape of polygons traced
/// from raster cells, whose edges are meridians and parallels). By Green's theorem on the authalic sphere, the area of
/// a ring is R_q²·|∮ sin β dλ| with β the authalic latitude, which maps the ellipsoid onto a sphere of equal area; the
/// integral runs along each edge with 5-point Gauss–Legendre on pieces at most 1° of latitude apart, so it is exact
/// to rounding for meridians and parallels and to ~1e-12 otherwise.
/// </summary>
public static class EllipsoidArea
{
    /// <summary>WGS 84 semi-major axis in metres.</summary>
    public const double SemiMajorAxisMetres = 6_378_137.0;

    /// <summary>WGS 84 flattening.</summary>
    public const double Flattening = 1 / 298.257223563;

    private static readonly double Eccentricity2 = Flattening * (2 - Flattening);
    private static readonly double Eccentricity = Math.Sqrt(Eccentricity2);
    private static readonly double PolarQ = Q(Math.PI / 2);

    // Gauss–Legendre nodes and weights on [0, 1].
    private static readonly double[] Nodes = [0.046910077030668, 0.230765344947158, 0.5, 0.769234655052842, 0.953089922969332];
    private static readonly double[] Weights = [0.118463442528095, 0.239314335249683, 0.284444444444444, 0.239314335249683, 0.118463442528095];

    /// <summary>Radius of the sphere with the ellipsoid's area (authalic radius), in kilometres: 6371.0072.</summary>
    public static double AuthalicRadiusKm { get; } = SemiMajorAxisMetres * Math.Sqrt(PolarQ / 2) / 1000.0;

    /// <summary>Area in km² of a polygon or multi-polygon in lon/lat degrees (holes subtracted); 0 for other geometries.</summary>
    public static double AreaKm2(Geometry geometry)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        double total = 0;
        for (int g = 0; g < geometry.NumGeometries; g++)
        {
            if (geometry.GetGeometryN(g) is Polygon polygon)
            {
                total += RingAreaKm2(polygon.ExteriorRing.Coordinates);
                foreach (LineString hole in polygon.InteriorRings)
                {
                    total -= RingAreaKm2(hole.Coordinates);
                }
            }
        }

        return total;
    }

    /// <summary>Area in km² enclosed by one ring (orientation ignored).</summary>
    public static double RingAreaKm2(IReadOnlyList<Coordinate> ring)
    {
        ArgumentNullException.ThrowIfNull(ring);
        double integral = 0;
        for (int k = 0; k + 1 < ring.Count; k++)
        {
            integral += EdgeIntegral(ring[k].X, ring[k].Y, ring[k + 1].X, ring[k + 1].Y);
        }

        double radius = AuthalicRadiusKm;
        return Math.Abs(integral) * radius * radius;
    }

    /// <summary>Area in km² of the cell between two parallels and two meridians (degrees).</summary>
    public static double BoxAreaKm2(double west, double south, double east, double north)
    {
        double radius = AuthalicRadiusKm;
        return Math.Abs(east - west) * Math.PI / 180 * Math.Abs(SinAuthalic(north) - SinAuthalic(south)) * radius * radius;
    }

    /// <summary>sin β: the authalic latitude's sine for a geodetic latitude in degrees.</summary>
    internal static double SinAuthalic(double latitudeDegrees) => Q(latitudeDegrees * Math.PI / 180) / PolarQ;

    private static double EdgeIntegral(double lon1, double lat1, double lon2, double lat2)
    {
        double dLon = (lon2 - lon1) * Math.PI / 180;
        if (dLon == 0)
        {
            return 0;
        }

        if (lat1 == lat2)
        {
            return -dLon * SinAuthalic(lat1);
        }

        int pieces = Math.Max(1, (int)Math.Ceiling(Math.Abs(lat2 - lat1)));
        double sum = 0;
        for (int piece = 0; piece < pieces; piece++)
        {
            double a = lat1 + (lat2 - lat1) * piece / pieces;
            double b = lat1 + (lat2 - lat1) * (piece + 1) / pieces;
            double mean = 0;
            for (int n = 0; n < Nodes.Length; n++)
            {
                mean += Weights[n] * SinAuthalic(a + (b - a) * Nodes[n]);
            }

            sum += mean / pieces;
        }

        return -dLon * sum;
    }

    private static double Q(double phi)
    {
        double sin = Math.Sin(phi);
        double esin = Eccentricity * sin;
        return (1 - Eccentricity2) * (sin / (1 - esin * esin) - 1 / (2 * Eccentricity) * Math.Log((1 - esin) / (1 + esin)));
    }
}
