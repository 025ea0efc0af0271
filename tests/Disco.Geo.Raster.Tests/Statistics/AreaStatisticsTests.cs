using Disco.Geo.Grids;
using Disco.Geo.Raster.Statistics;
using Disco.Geo.Raster.Tests.Support;
using NetTopologySuite.Geometries;

namespace Disco.Geo.Raster.Tests.Statistics;

/// <summary>Areas and zonal statistics against closed forms.</summary>
public sealed class AreaStatisticsTests
{
    private static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    [Fact]
    public void The_ellipsoid_area_of_cells_matches_known_values()
    {
        // The whole WGS 84 ellipsoid: 510 065 621.7 km²; a 1°x1° cell on the equator: 12 308.464 km² (both from
        // a²(1−e²)·Δλ·∫cos φ/(1−e² sin² φ)² dφ integrated numerically, independently of the authalic formula).
        Assert.Equal(510_065_621.73, EllipsoidArea.BoxAreaKm2(-180, -90, 180, 90), 0.01);
        Assert.Equal(12_308.464, EllipsoidArea.BoxAreaKm2(0, 0, 1, 1), 0.001);
        Polygon cell = Box(0, 0, 1, 1);
        Assert.Equal(EllipsoidArea.BoxAreaKm2(0, 0, 1, 1), EllipsoidArea.AreaKm2(cell), 1e-6);
        // A triangle below the diagonal lat = lon holds a little more than half its box (cells shrink northwards).
        Polygon triangle = Factory.CreatePolygon([new(0, 0), new(10, 0), new(10, 10), new(0, 0)]);
        double box = EllipsoidArea.BoxAreaKm2(0, 0, 10, 10);
        double triangleArea = EllipsoidArea.AreaKm2(triangle);
        Assert.InRange(triangleArea / box, 0.5, 0.51);
        Assert.Equal(NumericalTriangle(), triangleArea, 1e-3 * triangleArea);
    }

    [Fact]
    public void Area_per_class_of_latitude_bands_matches_the_closed_form()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equirectangular, 360, 720);
        SphereRaster map = Maps.Classes(grid, (lat, _) => lat > 30 ? 2 : lat > 0 ? 1 : 0);
        IReadOnlyList<ClassArea> areas = AreaStatistics.AreaPerClass(map, classes: [new MapClass(1, "tropics north", 0, 0, 0)]);
        double r = EllipsoidArea.AuthalicRadiusKm;
        double total = 4 * Math.PI * r * r;
        Assert.Equal(total, areas.Sum(a => a.AreaKm2), 1e-6 * total);
        ClassArea band = areas.Single(a => a.ClassId == 1);
        Assert.Equal("tropics north", band.Name);
        double expected = 2 * Math.PI * r * r * (Math.Sin(Math.PI / 6) - 0);
        Assert.Equal(expected, band.AreaKm2, 2e-3 * expected);
        Assert.Equal(0.25, band.Fraction, 2e-3);
        Assert.Equal(0.5, areas.Single(a => a.ClassId == 0).Fraction, 1e-9);
    }

    [Fact]
    public void Zonal_statistics_inside_a_box_match_the_analytic_area_and_mean()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.LegendreGauss, 360, 720);
        SphereRaster map = Maps.Continuous(grid);
        Polygon zone = Box(-30, 10, 60, 50);
        ZonalStatistics stats = AreaStatistics.Zonal(map, zone);
        double sphereArea = Math.Pow(EllipsoidArea.AuthalicRadiusKm, 2) * (90 * Math.PI / 180) * (Math.Sin(50 * Math.PI / 180) - Math.Sin(10 * Math.PI / 180));
        Assert.Equal(EllipsoidArea.BoxAreaKm2(-30, 10, 60, 50), stats.ZoneAreaKm2, 1e-6);
        Assert.Equal(sphereArea, stats.CoveredAreaKm2, 1e-2 * sphereArea);
        Assert.Equal(stats.ZoneAreaKm2, stats.CoveredAreaKm2, 1e-2 * stats.ZoneAreaKm2);
        BandStatistics f = Assert.Single(stats.Bands);
        // Nodes stand for cells that straddle the zone's edges, so the mean differs from the exact one at O(h·|∇f|).
        Assert.Equal(AnalyticBoxMean(-30, 60, 10, 50), f.Mean, 1e-2);
        Assert.True(f.Min <= f.Mean && f.Mean <= f.Max);
        Assert.Empty(stats.Classes);
    }

    [Fact]
    public void A_zone_across_the_antimeridian_counts_nodes_on_both_sides()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 181, 360);
        SphereRaster map = Maps.Classes(grid, (lat, lon) => lon > 0 ? 1 : 2);
        // 21 x 21 nodes (lon 170..190, lat -10..10) of 1° cells fall inside: their cells cover 169.5..190.5 x -10.5..10.5.
        ZonalStatistics stats = AreaStatistics.Zonal(map, Box(169.7, -10.3, 190.3, 10.3));
        Assert.Equal(21 * 21, stats.NodeCount);
        Assert.Equal(EllipsoidArea.BoxAreaKm2(169.5, -10.5, 190.5, 10.5), stats.CoveredAreaKm2, 0.01 * stats.CoveredAreaKm2);
        Assert.Equal(2, stats.Classes.Count);
        Assert.Equal(0.5, stats.Classes[0].Fraction, 0.06);
    }

    [Fact]
    public void Bad_zones_and_non_class_bands_are_refused()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 19, 36);
        SphereRaster map = Maps.Continuous(grid);
        Assert.Contains("Polygon", Assert.Throws<ArgumentException>(() => AreaStatistics.Zonal(map, Factory.CreatePoint(new Coordinate(0, 0)))).Message);
        Polygon bowTie = Factory.CreatePolygon([new(0, 0), new(10, 10), new(10, 0), new(0, 10), new(0, 0)]);
        Assert.Contains("invalid", Assert.Throws<ArgumentException>(() => AreaStatistics.Zonal(map, bowTie)).Message);
        Assert.Contains("not a class id", Assert.Throws<ArgumentException>(() => AreaStatistics.AreaPerClass(map)).Message);
    }

    private static Polygon Box(double west, double south, double east, double north) =>
        Factory.CreatePolygon([new(west, south), new(east, south), new(east, north), new(west, north), new(west, south)]);

    private static double AnalyticBoxMean(double west, double east, double south, double north)
    {
        // ∫∫ f cos(lat) dlat dlon / ∫∫ cos(lat) dlat dlon with a fine midpoint rule.
        double sum = 0;
        double weight = 0;
        for (double lat = south + 0.025; lat < north; lat += 0.05)
        {
            double w = Math.Cos(lat * Math.PI / 180);
            for (double lon = west + 0.025; lon < east; lon += 0.05)
            {
                sum += w * AnalyticField.F(lat, lon);
                weight += w;
            }
        }

        return sum / weight;
    }

    private static double NumericalTriangle()
    {
        // Area below the line lat = lon from 0 to 10 degrees, by strips of 0.001° of longitude.
        double area = 0;
        for (double lon = 0; lon < 10; lon += 0.001)
        {
            double top = lon + 0.0005;
            area += EllipsoidArea.BoxAreaKm2(lon, 0, lon + 0.001, top);
        }

        return area;
    }
}
