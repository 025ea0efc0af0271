using Disco.Geo.Grids;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;

namespace Disco.Geo.Raster.Statistics;

/// <summary>
/// Area-aware statistics of sphere-grid maps. Each node stands for its quadrature weight (<see cref="SphereGrid.NodeArea"/>,
/// steradians, summing to 4π) times R_q², R_q being the WGS 84 authalic radius, so areas add up to the Earth's
/// 510 065 622 km² and means are area-weighted. Treating geodetic latitude as latitude on that sphere is the usual
/// spherical approximation (≤ 0.3 % per node, far less over large regions). Only valid nodes count.
/// </summary>
public static class AreaStatistics
{
    /// <summary>Area per class id of a class map band, largest first.</summary>
    /// <param name="classMap">The map.</param>
    /// <param name="band">0-based band holding class ids.</param>
    /// <param name="classes">Optional class names.</param>
    /// <exception cref="ArgumentException">The band holds non-integer values.</exception>
    public static IReadOnlyList<ClassArea> AreaPerClass(SphereRaster classMap, int band = 0, IReadOnlyList<MapClass>? classes = null)
    {
        ArgumentNullException.ThrowIfNull(classMap);
        return Classes(classMap, band, classes, node => true);
    }

    /// <summary>
    /// Statistics of every band over the valid nodes inside <paramref name="zone"/> (a NetTopologySuite polygon or
    /// multi-polygon in lon/lat degrees; longitudes may run beyond ±180 for zones crossing the antimeridian). A node
    /// counts when its position is inside the zone. Class areas are reported for the first band with the Label role.
    /// </summary>
    /// <exception cref="ArgumentException">The zone is not a polygon, is empty or invalid.</exception>
    public static ZonalStatistics Zonal(SphereRaster raster, Geometry zone, IReadOnlyList<MapClass>? classes = null)
    {
        ArgumentNullException.ThrowIfNull(raster);
        ArgumentNullException.ThrowIfNull(zone);
        if (zone is not (Polygon or MultiPolygon) || zone.IsEmpty)
        {
            throw new ArgumentException($"A zone must be a non-empty Polygon or MultiPolygon in lon/lat degrees, not {zone.GeometryType}.", nameof(zone));
        }

        if (!zone.IsValid)
        {
            throw new ArgumentException("The zone polygon is invalid (self-intersecting or badly nested rings); repair it, e.g. with Buffer(0).", nameof(zone));
        }

        bool[] inside = NodesInside(raster.Grid, zone);
        SphereGrid grid = raster.Grid;
        double[] rowAreas = RowAreasKm2(grid);
        List<BandStatistics> bands = [];
        for (int b = 0; b < raster.BandCount; b++)
        {
            ReadOnlySpan<float> values = raster.Band(b);
            double area = 0;
            double sum = 0;
            double sumSquares = 0;
            double min = double.PositiveInfinity;
            double max = double.NegativeInfinity;
            int count = 0;
            for (int k = 0; k < values.Length; k++)
            {
                if (!inside[k] || !raster.Valid[k])
                {
                    continue;
                }

                double weight = rowAreas[k / grid.NLon];
                double value = values[k];
                area += weight;
                sum += weight * value;
                sumSquares += weight * value * value;
                min = Math.Min(min, value);
                max = Math.Max(max, value);
                count++;
            }

            double mean = count == 0 ? double.NaN : sum / area;
            double variance = count == 0 ? double.NaN : Math.Max(0, sumSquares / area - mean * mean);
            bands.Add(new BandStatistics(raster.Bands[b].Name, count, area, mean, Math.Sqrt(variance),
                count == 0 ? double.NaN : min, count == 0 ? double.NaN : max));
        }

        int labelBand = raster.Bands.Select((info, index) => (info, index)).FirstOrDefault(x => x.info.Role == BandRole.Label, (null!, -1)).Item2;
        IReadOnlyList<ClassArea> classAreas = labelBand < 0 ? [] : Classes(raster, labelBand, classes, node => inside[node]);
        int nodes = 0;
        double covered = 0;
        for (int k = 0; k < inside.Length; k++)
        {
            if (inside[k] && raster.Valid[k])
            {
                nodes++;
                covered += rowAreas[k / grid.NLon];
            }
        }

        return new ZonalStatistics(EllipsoidArea.AreaKm2(zone), covered, nodes, bands, classAreas);
    }

    /// <summary>Node area in km² for each row.</summary>
    internal static double[] RowAreasKm2(SphereGrid grid)
    {
        double radius = EllipsoidArea.AuthalicRadiusKm;
        double[] areas = grid.RowAreas();
        for (int i = 0; i < areas.Length; i++)
        {
            areas[i] *= radius * radius;
        }

        return areas;
    }

    /// <summary>Which nodes lie inside a lon/lat polygon, trying each node's longitude shifted by ±360° too.</summary>
    internal static bool[] NodesInside(SphereGrid grid, Geometry zone)
    {
        Envelope envelope = zone.EnvelopeInternal;
        IndexedPointInAreaLocator locator = new(zone);
        bool[] inside = new bool[grid.NodeCount];
        for (int i = 0; i < grid.NLat; i++)
        {
            double lat = grid.LatitudeDegrees(i);
            if (lat < envelope.MinY || lat > envelope.MaxY)
            {
                continue;
            }

            for (int p = 0; p < grid.NLon; p++)
            {
                double lon = grid.LongitudeDegrees(p);
                lon -= 360 * Math.Floor((lon - envelope.MinX) / 360);
                for (; lon <= envelope.MaxX; lon += 360)
                {
                    if (locator.Locate(new Coordinate(lon, lat)) != Location.Exterior)
                    {
                        inside[i * grid.NLon + p] = true;
                        break;
                    }
                }
            }
        }

        return inside;
    }

    private static List<ClassArea> Classes(SphereRaster raster, int band, IReadOnlyList<MapClass>? classes, Func<int, bool> include)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(band);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(band, raster.BandCount);
        SphereGrid grid = raster.Grid;
        double[] rowAreas = RowAreasKm2(grid);
        ReadOnlySpan<float> values = raster.Band(band);
        Dictionary<int, (int Count, double Area)> totals = [];
        double all = 0;
        for (int k = 0; k < values.Length; k++)
        {
            if (!raster.Valid[k] || !include(k))
            {
                continue;
            }

            float value = values[k];
            if (value != MathF.Round(value) || !float.IsFinite(value))
            {
                throw new ArgumentException(
                    $"Band '{raster.Bands[band].Name}' holds {value} at node {k}, not a class id; area per class needs integer class ids.", nameof(band));
            }

            int id = (int)value;
            double area = rowAreas[k / grid.NLon];
            (int count, double sum) = totals.GetValueOrDefault(id);
            totals[id] = (count + 1, sum + area);
            all += area;
        }

        return totals
            .Select(pair => new ClassArea(pair.Key, classes?.FirstOrDefault(c => c.Id == pair.Key)?.Name, pair.Value.Count, pair.Value.Area,
                all == 0 ? 0 : pair.Value.Area / all))
            .OrderByDescending(c => c.AreaKm2)
            .ToList();
    }
}

/// <summary>Area of one class.</summary>
/// <param name="ClassId">Class id.</param>
/// <param name="Name">Class name when known.</param>
/// <param name="NodeCount">Number of nodes of that class.</param>
/// <param name="AreaKm2">Area in km².</param>
/// <param name="Fraction">Share of the valid area considered (0..1).</param>
public sealed record ClassArea(int ClassId, string? Name, int NodeCount, double AreaKm2, double Fraction);

/// <summary>Area-weighted statistics of one band.</summary>
/// <param name="Band">Band name.</param>
/// <param name="NodeCount">Valid nodes counted.</param>
/// <param name="AreaKm2">Their area in km².</param>
/// <param name="Mean">Area-weighted mean (NaN when no node counts).</param>
/// <param name="StandardDeviation">Area-weighted standard deviation.</param>
/// <param name="Min">Minimum.</param>
/// <param name="Max">Maximum.</param>
public sealed record BandStatistics(string Band, int NodeCount, double AreaKm2, double Mean, double StandardDeviation, double Min, double Max);

/// <summary>Statistics inside a zone.</summary>
/// <param name="ZoneAreaKm2">Ellipsoidal area of the zone polygon itself.</param>
/// <param name="CoveredAreaKm2">Area of the valid nodes inside it (approaches the zone's area as the grid refines).</param>
/// <param name="NodeCount">Valid nodes inside.</param>
/// <param name="Bands">Per-band statistics.</param>
/// <param name="Classes">Class areas inside the zone, for the first Label band (empty when there is none).</param>
public sealed record ZonalStatistics(double ZoneAreaKm2, double CoveredAreaKm2, int NodeCount, IReadOnlyList<BandStatistics> Bands, IReadOnlyList<ClassArea> Classes);
