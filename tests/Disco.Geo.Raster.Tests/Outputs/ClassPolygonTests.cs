using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster.Outputs;
using Disco.Geo.Raster.Statistics;
using Disco.Geo.Raster.Tests.Support;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Disco.Geo.Raster.Tests.Outputs;

/// <summary>Class polygons through GDALPolygonize, written as GeoJSON and read back through OGR.</summary>
public sealed class ClassPolygonTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Polygons_written_as_geojson_read_back_through_ogr_with_their_areas()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equirectangular, 180, 360);
        // A box 20..50 N, 30 W..60 E (class 1) and a disc-like cap north of 70 N (class 2); the rest class 0, south of 80 S nodata.
        SphereRaster map = Maps.Classes(grid, (lat, lon) =>
            lat < -80 ? -1 : lat > 70 ? 2 : lat is > 20 and < 50 && lon is > -30 and < 60 ? 1 : 0);
        MapClass[] classes = [new(0, "background", 0, 0, 0), new(1, "box", 255, 0, 0), new(2, "cap", 0, 0, 255)];
        string path = _directory.File("classes.geojson");
        await ClassPolygons.WriteGeoJsonAsync(map, path, new ClassPolygonOptions { Classes = classes });

        using GdalDataset dataset = GdalDataset.Open(path, GdalOpenKind.Vector);
        Assert.Equal("GeoJSON", dataset.DriverName);
        OgrLayer layer = dataset.GetLayer(0);
        using (SpatialReference? crs = layer.GetSpatialReference())
        {
            Assert.Equal("EPSG:4326", crs?.AuthorityId);
        }

        Assert.Contains(layer.Fields, f => f.Name == "class");
        Assert.Contains(layer.Fields, f => f.Name == "name" && f.Type == OgrFieldType.String);
        Assert.Contains(layer.Fields, f => f.Name == "area_km2" && f.Type == OgrFieldType.Real);
        IReadOnlyList<OgrFeatureRecord> features = layer.ReadFeatures();
        WKBReader reader = new();
        OgrFeatureRecord box = Assert.Single(features, f => (long)f.Fields["class"]! == 1);
        Assert.Equal("box", box.Fields["name"]);
        Geometry boxGeometry = reader.Read(box.WellKnownBinary);
        Envelope envelope = boxGeometry.EnvelopeInternal;
        Assert.Equal(new Envelope(-30, 60, 20, 50), envelope);
        double expected = EllipsoidArea.BoxAreaKm2(-30, 20, 60, 50);
        Assert.Equal(expected, (double)box.Fields["area_km2"]!, 1e-3 * expected);

        // The polygons of all classes tile the valid part of the globe.
        double total = features.Sum(f => (double)f.Fields["area_km2"]!);
        double valid = EllipsoidArea.BoxAreaKm2(-180, -80, 180, 90);
        Assert.Equal(valid, total, 1e-3 * valid);
        foreach (OgrFeatureRecord feature in features)
        {
            Geometry geometry = reader.Read(feature.WellKnownBinary);
            Assert.True(geometry.IsValid);
            Assert.InRange(geometry.EnvelopeInternal.MinX, -180, 180);
            Assert.InRange(geometry.EnvelopeInternal.MaxX, -180, 180);
        }
    }

    [Theory]
    [InlineData(GridKind.Equiangular, 181, 360)]
    [InlineData(GridKind.Equiangular, 91, 180)]
    [InlineData(GridKind.Equirectangular, 90, 180)]
    [InlineData(GridKind.LegendreGauss, 64, 128)]
    public async Task The_class_polygons_form_a_coverage_of_the_globe_without_gaps_or_overlaps(GridKind kind, int nlat, int nlon)
    {
        SphereGrid grid = SphereGrid.Create(kind, nlat, nlon);
        // Wavy coastlines with diagonal stretches (which simplification straightens), islands, both poles and the
        // antimeridian crossed by land.
        SphereRaster map = Maps.Classes(grid, (lat, lon) =>
        {
            double r = lon * Math.PI / 180;
            double f = Math.Sin(3 * r + lat / 25) * Math.Cos(lat * Math.PI / 90) + Math.Cos(5 * r) * 0.4 - lat / 120;
            return f > 0.3 ? 1 : f < -0.6 ? 2 : 0;
        });
        FeatureCollection features = await ClassPolygons.ExtractAsync(map);
        Geometry[] polygons = features.Select(f => f.Geometry).ToArray();
        Assert.All(polygons, p => Assert.True(p.IsValid, $"invalid polygon of class {p}"));
        Assert.All(polygons, p => Assert.InRange(p.EnvelopeInternal.MinY, -90, 90));
        Assert.All(polygons, p => Assert.InRange(p.EnvelopeInternal.MaxY, -90, 90));

        // In degrees²: the polygons' areas add up to the globe's, their union is the globe, and no two overlap.
        const double globe = 360.0 * 180.0;
        Assert.Equal(globe, polygons.Sum(p => p.Area), 1e-6);
        Assert.Equal(globe, NetTopologySuite.Operation.Union.UnaryUnionOp.Union(polygons).Area, 1e-6);
        double overlap = 0;
        for (int a = 0; a < polygons.Length; a++)
        {
            for (int b = a + 1; b < polygons.Length; b++)
            {
                if (polygons[a].EnvelopeInternal.Intersects(polygons[b].EnvelopeInternal))
                {
                    overlap += polygons[a].Intersection(polygons[b]).Area;
                }
            }
        }

        Assert.Equal(0, overlap, 1e-6);

        // The simplification did straighten the staircase: fewer vertices than the cells' corners.
        FeatureCollection raw = await ClassPolygons.ExtractAsync(map, new ClassPolygonOptions { SimplifyToleranceDegrees = 0 });
        Assert.True(polygons.Sum(p => p.NumPoints) < 0.8 * raw.Sum(f => f.Geometry.NumPoints), "coverage simplification removed the staircase");

        // The ellipsoidal areas add up to the ellipsoid's area (510,065,621.7 km² for WGS 84).
        double total = features.Sum(f => (double)f.Attributes["area_km2"]);
        Assert.Equal(EllipsoidArea.BoxAreaKm2(-180, -90, 180, 90), total, 1e-6 * total);
    }

    [Fact]
    public async Task A_region_across_the_antimeridian_is_split_at_180_degrees()
    {
        // Node grid with column 0 on -180: the cells of the -180 column reach 0.5° west of it.
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 181, 360);
        SphereRaster map = Maps.Classes(grid, (lat, lon) => lat is > -20 and < 20 && (lon > 160 || lon < -150) ? 1 : 0);
        FeatureCollection features = await ClassPolygons.ExtractAsync(map, new ClassPolygonOptions { IncludeClasses = new HashSet<int> { 1 } });
        Assert.Equal(2, features.Count);
        Envelope east = features.Select(f => f.Geometry.EnvelopeInternal).Single(e => e.MinX > 0);
        Envelope west = features.Select(f => f.Geometry.EnvelopeInternal).Single(e => e.MaxX < 0);
        Assert.Equal(180, east.MaxX);
        Assert.Equal(-180, west.MinX);
        Assert.Equal(160.5, east.MinX, 1e-9);
        Assert.Equal(-150.5, west.MaxX, 1e-9);
        foreach (IFeature feature in features)
        {
            Polygon polygon = (Polygon)feature.Geometry;
            Assert.True(NetTopologySuite.Algorithm.Orientation.IsCCW(polygon.Shell.CoordinateSequence), "RFC 7946: exterior rings counter-clockwise");
        }

        string json = ClassPolygons.ToGeoJson(features);
        Assert.Contains("\"FeatureCollection\"", json);
        Assert.Contains("area_km2", json);
    }
}
