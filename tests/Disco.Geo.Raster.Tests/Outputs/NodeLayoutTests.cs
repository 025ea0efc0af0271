using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster.Outputs;
using Disco.Geo.Raster.Rendering;
using Disco.Geo.Raster.Tests.Support;

namespace Disco.Geo.Raster.Tests.Outputs;

/// <summary>
/// The GeoTIFF/COG/PNG layout: one pixel per grid node where the grid's latitudes are equispaced, every node's value
/// exactly once at its location; rows resampled (and said so) where they are not. Files are read back through GDAL.
/// </summary>
public sealed class NodeLayoutTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    public static TheoryData<GridKind, int, int, double?> ExactGrids => new()
    {
        { GridKind.Equiangular, 181, 360, null },
        { GridKind.Equiangular, 19, 36, 0.0 },
        { GridKind.Equiangular, 91, 180, null },
        { GridKind.Equiangular, 33, 64, 7.5 },
        { GridKind.Equirectangular, 180, 360, null },
        { GridKind.Equirectangular, 45, 90, null },
    };

    [Theory]
    [MemberData(nameof(ExactGrids))]
    public async Task Every_node_appears_once_at_its_location_in_the_cog(GridKind kind, int nlat, int nlon, double? origin)
    {
        SphereGrid grid = SphereGrid.Create(kind, nlat, nlon, origin);
        // Each node's value is its own index, so a shifted, dropped or repeated row cannot go unnoticed.
        float[] data = new float[grid.NodeCount];
        for (int k = 0; k < data.Length; k++)
        {
            data[k] = k;
        }

        SphereRaster map = new(grid, data, [new RasterBandInfo("node")]);
        string path = _directory.File($"{kind}-{nlat}x{nlon}.tif");
        await GeoTiffWriter.WriteCogAsync(map, path, new GeoTiffOptions { DataType = OutputDataType.Float32 });

        using GdalDataset dataset = GdalDataset.Open(path);
        Assert.Equal((nlon, nlat), (dataset.Width, dataset.Height));
        GeoTransform transform = dataset.GetGeoTransform()!.Value;
        float[] pixels = new float[nlon * nlat];
        dataset.GetBand(1).Read<float>(pixels, 0, 0, nlon, nlat);
        for (int i = 0; i < nlat; i++)
        {
            for (int p = 0; p < nlon; p++)
            {
                Assert.Equal(i * nlon + p, pixels[i * nlon + p]);
                (double lon, double lat) = transform.PixelToGeo(p + 0.5, i + 0.5);
                Assert.Equal(grid.LatitudeDegrees(i), lat, 1e-9);
                Assert.Equal(grid.LongitudeDegrees(p), lon, 1e-9);
            }
        }

        Assert.StartsWith("one pixel per grid node", dataset.GetMetadataItem("DISCO_LAYOUT"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_class_map_on_pole_rows_keeps_every_row_in_cog_and_png()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 181, 360);
        // Alternating classes by row: rounding between two rows (the old layout) drops or repeats rows.
        SphereRaster map = Maps.Classes(grid, (lat, lon) => ((int)Math.Round(90 - lat) + (lon > 0 ? 1 : 0)) % 3);
        MapClass[] classes = [new(0, "a", 255, 0, 0), new(1, "b", 0, 255, 0), new(2, "c", 0, 0, 255)];
        string path = _directory.File("classes.tif");
        await GeoTiffWriter.WriteCogAsync(map, path, new GeoTiffOptions { Classes = classes });
        using (GdalDataset dataset = GdalDataset.Open(path))
        {
            Assert.Equal((360, 181), (dataset.Width, dataset.Height));
            Assert.Equal(GeoTransform.NorthUp(-180.5, 90.5, 1, 1), dataset.GetGeoTransform());
            byte[] pixels = new byte[360 * 181];
            dataset.GetBand(1).Read<byte>(pixels, 0, 0, 360, 181);
            for (int k = 0; k < pixels.Length; k++)
            {
                Assert.Equal((byte)map.Data[k], pixels[k]);
            }
        }

        string png = _directory.File("classes.png");
        await File.WriteAllBytesAsync(png, MapRenderer.RenderLayoutPng(map, ColorMap.Categorical(classes)));
        using GdalDataset image = GdalDataset.Open(png);
        Assert.Equal((360, 181), (image.Width, image.Height));
        byte[][] rgb = [new byte[360 * 181], new byte[360 * 181], new byte[360 * 181]];
        for (int b = 0; b < 3; b++)
        {
            image.GetBand(b + 1).Read<byte>(rgb[b], 0, 0, 360, 181);
        }

        for (int k = 0; k < rgb[0].Length; k++)
        {
            MapClass expected = classes[(int)map.Data[k]];
            Assert.Equal((expected.Red, expected.Green, expected.Blue), (rgb[0][k], rgb[1][k], rgb[2][k]));
        }
    }

    [Theory]
    [InlineData(GridKind.Lobatto, 33, 64)]
    [InlineData(GridKind.EquiangularTrapezoidal, 21, 40)]
    [InlineData(GridKind.LegendreGauss, 32, 64)]
    public async Task Grids_with_unequal_latitude_steps_are_resampled_to_rows_of_equal_height_and_say_so(GridKind kind, int nlat, int nlon)
    {
        SphereGrid grid = SphereGrid.Create(kind, nlat, nlon);
        SphereRaster map = Maps.Continuous(grid);
        string path = _directory.File($"{kind}.tif");
        await GeoTiffWriter.WriteGeoTiffAsync(map, path);

        using GdalDataset dataset = GdalDataset.Open(path);
        Assert.Equal((nlon, nlat), (dataset.Width, dataset.Height));
        double step = grid.HasPoleRows ? 180.0 / (nlat - 1) : 180.0 / nlat;
        double north = grid.HasPoleRows ? 90 + step / 2 : 90;
        Assert.Equal(GeoTransform.NorthUp(-180 - 180.0 / nlon, north, 360.0 / nlon, step), dataset.GetGeoTransform());
        Assert.StartsWith("rows resampled", dataset.GetMetadataItem("DISCO_LAYOUT"), StringComparison.Ordinal);
        if (grid.HasPoleRows)
        {
            // The pole rows are the pole nodes themselves.
            float[] row = new float[nlon];
            dataset.GetBand(1).Read<float>(row, 0, 0, nlon, 1);
            Assert.Equal(map.Band(0)[..nlon].ToArray(), row);
            dataset.GetBand(1).Read<float>(row, 0, nlat - 1, nlon, 1);
            Assert.Equal(map.Band(0)[((nlat - 1) * nlon)..].ToArray(), row);
        }
    }

    [Fact]
    public async Task A_map_with_pole_rows_reprojects_onto_a_projected_crs_and_says_it_was_reprojected()
    {
        // The node layout's pole cells reach half a row past ±90°, where PROJ cannot project; without target bounds GDAL
        // derives the extent from the source's edges, and the result must still be the globe and nothing beyond it.
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 91, 180);
        SphereRaster map = Maps.Classes(grid, (lat, lon) => lat > 30 ? 2 : lon > 0 ? 1 : 0);
        string path = _directory.File("equal-earth-classes.tif");
        await GeoTiffWriter.WriteGeoTiffAsync(map, path, new GeoTiffOptions { Reproject = new OutputGrid { Crs = "EPSG:8857" } });

        using GdalDataset dataset = GdalDataset.Open(path);
        GeoTransform transform = dataset.GetGeoTransform()!.Value;
        (double west, double north) = transform.PixelToGeo(0, 0);
        (double east, double south) = transform.PixelToGeo(dataset.Width, dataset.Height);
        // Equal Earth spans ±17,243,959 m by ±8,392,928 m: the whole globe, and nothing beyond it.
        Assert.InRange(east - west, 2 * 17_243_959 * 0.98, 2 * 17_243_959 * 1.02);
        Assert.InRange(north - south, 2 * 8_392_928 * 0.98, 2 * 8_392_928 * 1.02);
        Assert.StartsWith("reprojected from the equiangular 91x180", dataset.GetMetadataItem("DISCO_LAYOUT"), StringComparison.Ordinal);
        byte[] pixels = new byte[dataset.Width * dataset.Height];
        dataset.GetBand(1).Read<byte>(pixels, 0, 0, dataset.Width, dataset.Height);
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, pixels.Distinct().Order());
    }

    [Fact]
    public async Task Class_names_and_colours_are_category_names_and_a_raster_attribute_table()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 91, 180);
        SphereRaster map = Maps.Classes(grid, (lat, _) => lat > 0 ? 1 : lat < -60 ? 3 : 0);
        MapClass[] classes = [new(0, "water", 30, 80, 200), new(1, "land", 40, 160, 60), new(3, "ice", 240, 240, 255)];
        string path = _directory.File("legend.tif");
        await GeoTiffWriter.WriteCogAsync(map, path, new GeoTiffOptions { Classes = classes });

        // What QGIS reads: GDAL's view of the file together with its .aux.xml sidecar.
        Assert.True(File.Exists(path + ".aux.xml"));
        using GdalDataset dataset = GdalDataset.Open(path);
        GdalBand band = dataset.GetBand(1);
        Assert.Equal(["water", "land", string.Empty, "ice"], band.GetCategoryNames().Take(4));
        RasterAttributeTable table = band.GetAttributeTable() ?? throw new Xunit.Sdk.XunitException("no raster attribute table");
        Assert.Equal(
            [RasterAttributeUsage.MinMax, RasterAttributeUsage.Name, RasterAttributeUsage.Red, RasterAttributeUsage.Green, RasterAttributeUsage.Blue, RasterAttributeUsage.Alpha],
            table.Columns.Select(c => c.Usage));
        Assert.Equal(
            [["0", "water", "30", "80", "200", "255"], ["1", "land", "40", "160", "60", "255"], ["3", "ice", "240", "240", "255", "255"]],
            table.Rows.Select(r => r.ToArray()));
    }

    [Fact]
    public async Task Label_bands_among_other_bands_get_category_names_and_an_attribute_table()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 19, 36);
        SphereRaster values = Maps.Continuous(grid);
        SphereRaster labels = Maps.Classes(grid, (lat, _) => lat > 0 ? 1 : 0);
        float[] data = [.. values.Band(0), .. labels.Band(0)];
        SphereRaster map = new(grid, data, [new RasterBandInfo("elevation"), new RasterBandInfo("land", BandRole.Label)]);
        string path = _directory.File("mixed.tif");
        await GeoTiffWriter.WriteCogAsync(map, path);

        using GdalDataset dataset = GdalDataset.Open(path);
        Assert.Equal(["elevation", "land"], new[] { dataset.GetBand(1).Description, dataset.GetBand(2).Description });
        Assert.Null(dataset.GetBand(1).GetAttributeTable());
        Assert.Equal(["class 0", "class 1"], dataset.GetBand(2).GetCategoryNames().Take(2));
        Assert.Equal(2, dataset.GetBand(2).GetAttributeTable()?.Rows.Count);
    }
}
