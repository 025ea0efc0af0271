using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster.Ingest;
using Disco.Geo.Raster.Tests.Support;

namespace Disco.Geo.Raster.Tests.Ingest;

/// <summary>Partial coverage, antimeridian crossings, nodata, scale/offset, band roles and tile mosaics.</summary>
public sealed class CoverageAndBandTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly RasterIngestor _ingestor = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Partial_coverage_and_nodata_become_invalid_nodes()
    {
        // A regional raster 0..60° N, 30° W..60° E at 0.25°, with a nodata hole 20..30° N, 0..10° E.
        string path = _directory.File("regional.tif");
        WriteRegional(path, west: -30, east: 60, south: 0, north: 60, noData: -9999,
            hole: (lat, lon) => lat is > 20 and < 30 && lon is > 0 and < 10);
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 181, 360);
        SphereRaster raster = await _ingestor.IngestAsync(RasterSource.File(path), grid);
        for (int i = 0; i < grid.NLat; i++)
        {
            double lat = grid.LatitudeDegrees(i);
            for (int p = 0; p < grid.NLon; p++)
            {
                double lon = grid.LongitudeDegrees(p);
                bool valid = raster.Valid[i * grid.NLon + p];
                bool inside = lat is > 1 and < 59 && lon is > -29 and < 59;
                bool outside = lat is < -1 or > 61 || lon is < -31 or > 61;
                bool inHole = lat is > 21 and < 29 && lon is > 1 and < 9;
                bool nearHole = lat is > 19 and < 31 && lon is > -1 and < 11;
                if (outside || inHole)
                {
                    Assert.False(valid, $"node {lat},{lon} should be invalid");
                    Assert.Equal(0f, raster[0, i, p]);
                }
                else if (inside && !nearHole)
                {
                    Assert.True(valid, $"node {lat},{lon} should be valid");
                    Assert.InRange(raster[0, i, p] - AnalyticField.F(lat, lon), -2e-3, 2e-3);
                }
            }
        }
    }

    [Fact]
    public async Task A_raster_crossing_the_antimeridian_lands_on_both_sides_without_a_seam()
    {
        // 170° E .. 190° E (= 170° W), stored with longitudes beyond 180 as some global products do.
        string path = _directory.File("dateline.tif");
        WriteRegional(path, west: 170, east: 190, south: -10, north: 10);
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 181, 360);
        SphereRaster raster = await _ingestor.IngestAsync(RasterSource.File(path), grid);
        int equator = 90;
        foreach (double lon in new[] { 171.0, 175.0, 179.0, -180.0, -179.0, -175.0, -171.0 })
        {
            int p = (int)Math.Round((lon + 180) / grid.LonStepDegrees);
            Assert.True(raster.Valid[equator * grid.NLon + p], $"lon {lon} should be valid");
            Assert.InRange(raster[0, equator, p] - AnalyticField.F(0, lon), -2e-3, 2e-3);
        }

        int farAway = (int)Math.Round((0.0 + 180) / grid.LonStepDegrees);
        Assert.False(raster.Valid[equator * grid.NLon + farAway]);
    }

    [Fact]
    public async Task Integer_bands_are_scaled_and_their_nodata_masked()
    {
        string path = _directory.File("scaled.tif");
        using (GdalDataset dataset = GdalDataset.Create("GTiff", path, 360, 180, 1, GdalDataType.Int16))
        {
            dataset.SetGeoTransform(GeoTransform.NorthUp(-180, 90, 1, 1));
            using SpatialReference wgs84 = SpatialReference.Wgs84();
            dataset.SetSpatialReference(wgs84);
            GdalBand band = dataset.GetBand(1);
            band.NoDataValue = -32768;
            band.Scale = 0.01;
            band.Offset = 5;
            short[] values = new short[360 * 180];
            for (int r = 0; r < 180; r++)
            {
                for (int c = 0; c < 360; c++)
                {
                    // Stored 100·lat: the physical value is lat + 5. The southern hemisphere is nodata.
                    double lat = 89.5 - r;
                    values[r * 360 + c] = lat < 0 ? short.MinValue : (short)Math.Round(lat * 100);
                }
            }

            band.Write<short>(values, 0, 0, 360, 180);
        }

        SphereGrid grid = SphereGrid.Create(GridKind.Equirectangular, 180, 360);
        SphereRaster raster = await _ingestor.IngestAsync(RasterSource.File(path), grid);
        Assert.Equal(5 + 45.5, raster[0, 44, 10], 3);
        Assert.Equal(5 + 0.5, raster[0, 89, 200], 3);
        Assert.False(raster.Valid[95 * 360 + 10]);
        Assert.Equal(grid.NodeCount / 2, raster.ValidCount);
    }

    [Fact]
    public async Task Labels_keep_exact_class_ids_and_mask_bands_feed_validity()
    {
        // Band 1: continuous f; band 2: class = 1 + floor((lat + 90) / 30) (six zonal classes); band 3: mask, 0 west of 0°.
        string path = _directory.File("roles.tif");
        using (GdalDataset dataset = GdalDataset.Create("GTiff", path, 720, 360, 3, GdalDataType.Float32))
        {
            dataset.SetGeoTransform(GeoTransform.NorthUp(-180, 90, 0.5, 0.5));
            using SpatialReference wgs84 = SpatialReference.Wgs84();
            dataset.SetSpatialReference(wgs84);
            float[] f = new float[720 * 360];
            float[] classes = new float[720 * 360];
            float[] mask = new float[720 * 360];
            for (int r = 0; r < 360; r++)
            {
                for (int c = 0; c < 720; c++)
                {
                    double lat = 89.75 - r * 0.5;
                    double lon = -179.75 + c * 0.5;
                    f[r * 720 + c] = (float)AnalyticField.F(lat, lon);
                    classes[r * 720 + c] = 1 + (float)Math.Floor((lat + 90) / 30);
                    mask[r * 720 + c] = lon < 0 ? 0 : 1;
                }
            }

            dataset.GetBand(1).Write<float>(f, 0, 0, 720, 360);
            dataset.GetBand(2).Write<float>(classes, 0, 0, 720, 360);
            dataset.GetBand(3).Write<float>(mask, 0, 0, 720, 360);
        }

        SphereGrid grid = SphereGrid.Create(GridKind.LegendreGauss, 64, 128);
        RasterIngestOptions options = new()
        {
            Bands =
            [
                new BandSelection(2, BandRole.Label, "zone"),
                new BandSelection(1, BandRole.Input, "f"),
                new BandSelection(3, BandRole.Mask),
            ],
        };
        SphereRaster raster = await _ingestor.IngestAsync(RasterSource.File(path), grid, options);
        Assert.Equal(["zone", "f"], raster.BandNames);
        Assert.Equal([BandRole.Label, BandRole.Input], raster.Bands.Select(b => b.Role));
        Assert.Equal(Resampling.Mode, raster.Bands[0].Resampling);
        for (int i = 0; i < grid.NLat; i++)
        {
            double lat = grid.LatitudeDegrees(i);
            for (int p = 0; p < grid.NLon; p++)
            {
                double lon = grid.LongitudeDegrees(p);
                bool valid = raster.Valid[i * grid.NLon + p];
                if (lon < -2)
                {
                    Assert.False(valid);
                }
                else if (lon > 2)
                {
                    Assert.True(valid);
                    float zone = raster[0, i, p];
                    Assert.Equal(Math.Round(zone), zone);
                    double fromLatitude = 1 + Math.Floor((lat + 90) / 30);
                    if (Math.Abs((lat + 90) % 30) > 2 && Math.Abs((lat + 90) % 30) < 28)
                    {
                        Assert.Equal(fromLatitude, zone);
                    }
                }
            }
        }

        SphereRaster labels = Assert.IsType<SphereRaster>(raster.SelectRole(BandRole.Label));
        Assert.Equal(1, labels.BandCount);
        Assert.Equal(64 * 128, labels.Data.Length);
        Assert.Equal(2 * 64 * 128, raster.Data.Length);
    }

    [Fact]
    public async Task Tiles_mosaic_to_the_same_result_as_one_file()
    {
        string whole = _directory.File("whole.tif");
        WriteRegional(whole, west: -180, east: 180, south: -90, north: 90, pixel: 0.5);
        List<string> tiles = [];
        foreach ((double west, double south) in new[] { (-180.0, 0.0), (0.0, 0.0), (-180.0, -90.0), (0.0, -90.0) })
        {
            string tile = _directory.File($"tile_{west}_{south}.tif");
            WriteRegional(tile, west, west + 180, south, south + 90, pixel: 0.5);
            tiles.Add(tile);
        }

        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 91, 180);
        SphereRaster fromWhole = await _ingestor.IngestAsync(RasterSource.File(whole), grid);
        SphereRaster fromTiles = await _ingestor.IngestAsync(RasterSource.Tiles(tiles), grid);
        Assert.Equal(grid.NodeCount, fromTiles.ValidCount);
        Assert.Equal(fromWhole.Data, fromTiles.Data);
    }

    private static void WriteRegional(string path, double west, double east, double south, double north, double? noData = null,
        Func<double, double, bool>? hole = null, double pixel = 0.25)
    {
        int width = (int)Math.Round((east - west) / pixel);
        int height = (int)Math.Round((north - south) / pixel);
        using GdalDataset dataset = GdalDataset.Create("GTiff", path, width, height, 1, GdalDataType.Float32);
        dataset.SetGeoTransform(GeoTransform.NorthUp(west, north, pixel, pixel));
        using SpatialReference wgs84 = SpatialReference.Wgs84();
        dataset.SetSpatialReference(wgs84);
        GdalBand band = dataset.GetBand(1);
        if (noData is not null)
        {
            band.NoDataValue = noData.Value;
        }

        float[] values = new float[width * height];
        for (int r = 0; r < height; r++)
        {
            for (int c = 0; c < width; c++)
            {
                double lat = north - (r + 0.5) * pixel;
                double lon = west + (c + 0.5) * pixel;
                values[r * width + c] = hole is not null && hole(lat, lon) ? (float)noData!.Value : (float)AnalyticField.F(lat, lon);
            }
        }

        band.Write<float>(values, 0, 0, width, height);
    }
}
