using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster.Panoramas;
using Disco.Geo.Raster.Rendering;
using Disco.Geo.Raster.Tests.Support;
using Disco.Geo.Samples;

namespace Disco.Geo.Raster.Tests.Panoramas;

/// <summary>Panorama conventions, camera rotation, formats and bad images.</summary>
public sealed class PanoramaIngestTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly PanoramaIngestor _ingestor = new();
    private readonly SphereGrid _grid = SphereGrid.Create(GridKind.Equirectangular, 90, 180);

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(0, 0, 0, 0, 0, 0, 0)] // a spot straight ahead stays at lat 0, lon 0
    [InlineData(0, 0, 90, 0, 0, 0, 90)] // turned right by 90°: the spot is due east (azimuth 90°)
    [InlineData(0, 0, 0, 30, 0, 30, 0)] // looking 30° up: the spot is 30° above the horizon
    [InlineData(0, 90, 0, 0, 30, -30, 90)] // a spot to the right, camera banked right by 30°: it sinks below the horizon
    public async Task Camera_orientation_moves_a_spot_where_the_conventions_say(double spotLat, double spotAzimuth, double yaw, double pitch, double roll,
        double expectedLat, double expectedLon)
    {
        string path = _directory.File("spot.tif");
        WritePanorama(path, 720, 360, (lat, lon) => Math.Exp(-AngleDegrees(lat, lon, spotLat, spotAzimuth) * AngleDegrees(lat, lon, spotLat, spotAzimuth) / 18.0));
        SphereRaster raster = await _ingestor.IngestAsync(path, _grid, new PanoramaOptions { Orientation = new CameraOrientation(yaw, pitch, roll) });
        (double lat, double lon) = Centroid(raster);
        Assert.True(AngleDegrees(lat, lon, expectedLat, expectedLon) < 1.0, $"spot at {lat:F2},{lon:F2}, expected {expectedLat:F2},{expectedLon:F2}");
    }

    [Fact]
    public async Task Yaw_pitch_and_roll_compose_as_the_documented_rotation()
    {
        string path = _directory.File("spot2.tif");
        WritePanorama(path, 720, 360, (lat, lon) => Math.Exp(-Math.Pow(AngleDegrees(lat, lon, 10, 45), 2) / 18.0));
        CameraOrientation orientation = new(-60, 20, 35);
        SphereRaster raster = await _ingestor.IngestAsync(path, _grid, new PanoramaOptions { Orientation = orientation });
        (double lat, double lon) = Centroid(raster);
        (double expectedLat, double expectedLon) = Expected(10, 45, orientation);
        Assert.True(AngleDegrees(lat, lon, expectedLat, expectedLon) < 1.0, $"spot at {lat:F2},{lon:F2}, expected {expectedLat:F2},{expectedLon:F2}");
    }

    [Fact]
    public async Task Sixteen_bit_png_and_float_tiff_keep_their_values_and_alpha_marks_missing_sky()
    {
        string png = _directory.File("pano16.png");
        using (GdalDataset memory = GdalDataset.CreateInMemory(360, 180, 2, GdalDataType.UInt16))
        {
            ushort[] values = Enumerable.Repeat((ushort)40000, 360 * 180).ToArray();
            // Alpha 0 above the horizon: a landscape photo whose sky was cut out.
            ushort[] alpha = Enumerable.Range(0, 360 * 180).Select(i => i / 360 < 90 ? (ushort)0 : (ushort)65535).ToArray();
            memory.GetBand(1).Write<ushort>(values, 0, 0, 360, 180);
            memory.GetBand(2).Write<ushort>(alpha, 0, 0, 360, 180);
            memory.GetBand(2).ColorInterpretation = ColorInterpretation.Alpha;
            using (memory.CreateCopy("PNG", png))
            {
            }
        }

        SphereRaster raster = await _ingestor.IngestAsync(png, _grid);
        Assert.Single(raster.Bands);
        Assert.Equal(40000f, raster.Data.Where((_, k) => raster.Valid[k]).Distinct().Single());
        Assert.InRange(raster.ValidCount, _grid.NodeCount / 2 - 180, _grid.NodeCount / 2 + 180);
        Assert.False(raster.Valid[10 * 180]);
        Assert.True(raster.Valid[80 * 180]);

        string tiff = _directory.File("pano.tif");
        WritePanorama(tiff, 360, 180, (lat, _) => 1000 * (lat + 90));
        SphereRaster hdr = await _ingestor.IngestAsync(tiff, _grid);
        Assert.Equal(1000 * (_grid.LatitudeDegrees(45) + 90), hdr[0, 45, 3], 1.0);
    }

    [Fact]
    [Trait(DebianArchive.Trait, DebianArchive.Value)]
    public async Task A_real_hdr_panorama_lands_on_the_grid_with_its_radiance()
    {
        string forest = await DebianArchive.FetchAsync(SampleCatalog.Panorama("forest"));
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 129, 256);
        SphereRaster raster = await _ingestor.IngestAsync(forest, grid, new PanoramaOptions { Orientation = new CameraOrientation(YawDegrees: 30) });
        Assert.Equal(["red", "green", "blue"], raster.BandNames);
        Assert.Equal(grid.NodeCount, raster.ValidCount);
        Assert.Contains(raster.Provenance!.Notes, n => n.Contains("DWAB", StringComparison.Ordinal));
        Assert.Contains(raster.Provenance.Notes, n => n.Contains("yaw 30", StringComparison.Ordinal));
        // Sky above, forest floor below: the upper hemisphere is brighter, as in the photograph.
        double upper = raster.Band(2)[..(int)(grid.NodeCount / 2)].ToArray().Average();
        double lower = raster.Band(2)[(int)(grid.NodeCount / 2)..].ToArray().Average();
        Assert.True(upper > 2 * lower, $"upper {upper}, lower {lower}");
        byte[] preview = MapRenderer.RenderRgbPng(raster, (0, 1, 2), new RgbRenderOptions { Scale = 1, ToneMap = true, Gamma = 2.2 });
        Assert.True(preview.Length > 1000);
    }

    [Fact]
    public async Task Wrong_aspect_ratios_and_unreadable_images_are_explained()
    {
        string wide = _directory.File("wide.png");
        using (GdalDataset memory = GdalDataset.CreateInMemory(400, 100, 3, GdalDataType.Byte))
        using (memory.CreateCopy("PNG", wide))
        {
        }

        InvalidDataException shape = await Assert.ThrowsAsync<InvalidDataException>(() => _ingestor.IngestAsync(wide, _grid));
        Assert.Contains("400x100 (4.00:1)", shape.Message);
        Assert.Contains("2:1", shape.Message);

        string garbage = _directory.File("broken.jpg");
        await File.WriteAllBytesAsync(garbage, [0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6, 7, 8]);
        GdalException unreadable = await Assert.ThrowsAsync<GdalException>(() => _ingestor.IngestAsync(garbage, _grid));
        Assert.Contains("broken.jpg", unreadable.Message);

        await Assert.ThrowsAsync<FileNotFoundException>(() => _ingestor.IngestAsync(_directory.File("none.jpg"), _grid));
    }

    private static void WritePanorama(string path, int width, int height, Func<double, double, double> value)
    {
        using GdalDataset dataset = GdalDataset.Create("GTiff", path, width, height, 1, GdalDataType.Float32);
        float[] pixels = new float[width * height];
        for (int r = 0; r < height; r++)
        {
            for (int c = 0; c < width; c++)
            {
                pixels[r * width + c] = (float)value(90 - (r + 0.5) * 180 / height, -180 + (c + 0.5) * 360 / width);
            }
        }

        dataset.GetBand(1).Write<float>(pixels, 0, 0, width, height);
    }

    private static double AngleDegrees(double lat1, double lon1, double lat2, double lon2)
    {
        double[] a = Vector(lat1, lon1);
        double[] b = Vector(lat2, lon2);
        return Math.Acos(Math.Clamp(a[0] * b[0] + a[1] * b[1] + a[2] * b[2], -1, 1)) * 180 / Math.PI;
    }

    private static double[] Vector(double lat, double lon)
    {
        double phi = lat * Math.PI / 180;
        double lambda = lon * Math.PI / 180;
        return [Math.Cos(phi) * Math.Cos(lambda), Math.Cos(phi) * Math.Sin(lambda), Math.Sin(phi)];
    }

    private static (double Lat, double Lon) Centroid(SphereRaster raster)
    {
        double x = 0, y = 0, z = 0;
        for (int i = 0; i < raster.Grid.NLat; i++)
        {
            for (int p = 0; p < raster.Grid.NLon; p++)
            {
                double w = raster[0, i, p] * raster.Grid.NodeArea(i);
                double[] v = Vector(raster.Grid.LatitudeDegrees(i), raster.Grid.LongitudeDegrees(p));
                x += w * v[0];
                y += w * v[1];
                z += w * v[2];
            }
        }

        double norm = Math.Sqrt(x * x + y * y + z * z);
        return (Math.Asin(z / norm) * 180 / Math.PI, Math.Atan2(y, x) * 180 / Math.PI);
    }

    private static (double Lat, double Lon) Expected(double lat, double lon, CameraOrientation orientation)
    {
        double[] m = orientation.CameraToLevel();
        double[] v = Vector(lat, lon);
        double wx = m[0] * v[0] + m[1] * v[1] + m[2] * v[2];
        double wy = m[3] * v[0] + m[4] * v[1] + m[5] * v[2];
        double wz = m[6] * v[0] + m[7] * v[1] + m[8] * v[2];
        return (Math.Asin(wz) * 180 / Math.PI, Math.Atan2(wy, wx) * 180 / Math.PI);
    }
}
