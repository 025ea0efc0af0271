using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster.Ingest;
using Disco.Geo.Raster.Outputs;
using Disco.Geo.Raster.Tests.Support;

namespace Disco.Geo.Raster.Tests.Outputs;

/// <summary>GeoTIFF and COG outputs, read back through the binding.</summary>
public sealed class GeoTiffWriterTests : IDisposable
{
    private static readonly MapClass[] Land =
    [
        new(0, "water", 30, 80, 200),
        new(1, "land", 40, 160, 60),
        new(2, "ice", 240, 240, 255),
    ];

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_class_map_becomes_a_cog_with_palette_category_names_and_nodata()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equirectangular, 360, 720);
        SphereRaster map = Maps.Classes(grid, (lat, lon) => lat > 70 ? 2 : lat < -80 ? -1 : lon is > 0 and < 90 ? 1 : 0);
        string path = _directory.File("classes.tif");
        await GeoTiffWriter.WriteCogAsync(map, path, new GeoTiffOptions { Classes = Land, Metadata = new Dictionary<string, string> { ["MODEL"] = "unit-test" } });

        using GdalDataset dataset = GdalDataset.Open(path);
        Assert.Equal("GTiff", dataset.DriverName);
        Assert.Equal("COG", dataset.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"));
        Assert.Equal("unit-test", dataset.GetMetadataItem("MODEL"));
        Assert.Equal((720, 360), (dataset.Width, dataset.Height));
        Assert.Equal(GeoTransform.NorthUp(-180, 90, 0.5, 0.5), dataset.GetGeoTransform());
        using (SpatialReference? crs = dataset.GetSpatialReference())
        {
            Assert.Equal("EPSG:4326", crs?.AuthorityId);
        }

        GdalBand band = dataset.GetBand(1);
        Assert.Equal(GdalDataType.Byte, band.DataType);
        Assert.Equal(255, band.NoDataValue);
        Assert.Equal("class", band.Description);
        Assert.Equal(ColorInterpretation.Palette, band.ColorInterpretation);
        IReadOnlyList<ColorEntry> colours = band.GetColorTable()!;
        Assert.Equal(new ColorEntry(40, 160, 60), colours[1]);
        Assert.Equal(new ColorEntry(240, 240, 255), colours[2]);
        Assert.Equal(["water", "land", "ice"], band.GetCategoryNames().Take(3));
        Assert.True(band.OverviewCount >= 1, "a COG of 720x360 has overviews");
        Assert.Equal((256, 256), band.BlockSize);

        byte[] pixels = new byte[720 * 360];
        band.Read<byte>(pixels, 0, 0, 720, 360);
        for (int i = 0; i < 360; i++)
        {
            for (int p = 0; p < 720; p++)
            {
                byte expected = map.Valid[i * 720 + p] ? (byte)map[0, i, p] : (byte)255;
                Assert.Equal(expected, pixels[i * 720 + p]);
            }
        }
    }

    [Fact]
    public async Task A_continuous_map_on_pole_rows_keeps_one_pixel_per_node()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 91, 180);
        SphereRaster map = Maps.Continuous(grid, "elevation", "m");
        string path = _directory.File("continuous.tif");
        await GeoTiffWriter.WriteGeoTiffAsync(map, path);

        using GdalDataset dataset = GdalDataset.Open(path);
        Assert.Equal((180, 91), (dataset.Width, dataset.Height));
        // Pixel centres on the nodes: the west edge is half a column west of -180, the north edge half a row north of
        // the pole.
        Assert.Equal(GeoTransform.NorthUp(-181, 91, 2, 2), dataset.GetGeoTransform());
        GdalBand band = dataset.GetBand(1);
        Assert.Equal(GdalDataType.Float32, band.DataType);
        Assert.True(double.IsNaN(band.NoDataValue!.Value));
        Assert.Equal("elevation", band.Description);
        Assert.Equal("m", band.Unit);
        Assert.Null(band.GetColorTable());
        Assert.Contains("one pixel per grid node", dataset.GetMetadataItem("DISCO_LAYOUT"));

        float[] pixels = new float[180 * 91];
        band.Read<float>(pixels, 0, 0, 180, 91);
        Assert.Equal(map.Band(0).ToArray(), pixels);
    }

    [Fact]
    public async Task A_map_reprojects_onto_equal_earth()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.LegendreGauss, 180, 360);
        SphereRaster map = Maps.Continuous(grid);
        string path = _directory.File("equal-earth.tif");
        await GeoTiffWriter.WriteGeoTiffAsync(map, path, new GeoTiffOptions
        {
            Reproject = new OutputGrid { Crs = "EPSG:8857", Bounds = new GeoBounds(-17_250_000, -8_400_000, 17_250_000, 8_400_000), Size = (690, 336) },
        });

        using GdalDataset dataset = GdalDataset.Open(path);
        using SpatialReference? crs = dataset.GetSpatialReference();
        Assert.Equal("EPSG:8857", crs?.AuthorityId);
        Assert.Equal((690, 336), (dataset.Width, dataset.Height));
        float[] pixels = new float[690 * 336];
        dataset.GetBand(1).Read<float>(pixels, 0, 0, 690, 336);
        GeoTransform transform = dataset.GetGeoTransform()!.Value;
        using SpatialReference wgs84 = SpatialReference.Wgs84();
        using CoordinateTransformation toLonLat = CoordinateTransformation.Create(crs!, wgs84);
        int checkedPixels = 0;
        for (int row = 5; row < 336; row += 16)
        {
            for (int column = 5; column < 690; column += 16)
            {
                float value = pixels[row * 690 + column];
                if (float.IsNaN(value))
                {
                    continue;
                }

                (double x, double y) = transform.PixelToGeo(column + 0.5, row + 0.5);
                double[] xs = [x];
                double[] ys = [y];
                toLonLat.Transform(xs, ys);
                if (Math.Abs(xs[0]) > 178 || Math.Abs(ys[0]) > 88)
                {
                    continue;
                }

                Assert.InRange(value - AnalyticField.F(ys[0], xs[0]), -2e-2, 2e-2);
                checkedPixels++;
            }
        }

        Assert.True(checkedPixels > 600, $"only {checkedPixels} pixels checked");
    }

    [Fact]
    public async Task A_result_goes_back_onto_the_grid_of_the_raster_it_came_from()
    {
        // A 0..360 source (as ETOPO5 is): ingest, then write back onto exactly its pixels.
        string source = _directory.File("source_0_360.tif");
        AnalyticRasters.WriteGeographic(source, 720, 360, west: 0);
        SphereRaster ingested = await new RasterIngestor().IngestAsync(RasterSource.File(source), SphereGrid.Create(GridKind.Equiangular, 361, 720));
        string path = _directory.File("back.tif");
        await GeoTiffWriter.WriteGeoTiffAsync(ingested, path, new GeoTiffOptions { Reproject = OutputGrid.FromProvenance(ingested.Provenance!) });

        using GdalDataset original = GdalDataset.Open(source);
        using GdalDataset back = GdalDataset.Open(path);
        Assert.Equal((original.Width, original.Height), (back.Width, back.Height));
        Assert.Equal(original.GetGeoTransform(), back.GetGeoTransform());
        float[] expected = new float[720 * 360];
        float[] actual = new float[720 * 360];
        original.GetBand(1).Read<float>(expected, 0, 0, 720, 360);
        back.GetBand(1).Read<float>(actual, 0, 0, 720, 360);
        double worst = 0;
        for (int k = 0; k < actual.Length; k++)
        {
            Assert.False(float.IsNaN(actual[k]), $"pixel {k % 720},{k / 720} is nodata");
            worst = Math.Max(worst, Math.Abs(actual[k] - expected[k]));
        }

        Assert.True(worst < 5e-3, $"round trip error {worst}");
    }

    [Fact]
    public async Task Values_that_do_not_fit_the_requested_type_are_refused()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equirectangular, 18, 36);
        SphereRaster map = Maps.Continuous(grid);
        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() =>
            GeoTiffWriter.WriteGeoTiffAsync(map, _directory.File("x.tif"), new GeoTiffOptions { DataType = OutputDataType.Byte }));
        Assert.Contains("do not fit Byte", error.Message);
        DirectoryNotFoundException missing = await Assert.ThrowsAsync<DirectoryNotFoundException>(() =>
            GeoTiffWriter.WriteGeoTiffAsync(map, _directory.File("missing/x.tif")));
        Assert.Contains("does not exist", missing.Message);
    }
}
