using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster.Rendering;
using Disco.Geo.Raster.Tests.Support;

namespace Disco.Geo.Raster.Tests.Rendering;

/// <summary>PNG tiles and previews, decoded again with GDAL's PNG driver.</summary>
public sealed class RenderingTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_web_mercator_tile_shows_the_map_at_each_pixel_position()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 181, 360);
        SphereRaster map = Maps.Continuous(grid);
        ColorMap viridis = ColorMap.Viridis(2, 18);
        byte[] png = MapTileRenderer.RenderTile(map, TileMatrixSet.WebMercatorQuad, 2, 1, 1, viridis);
        (byte[][] planes, int width, int height) = Decode(png);
        Assert.Equal((256, 256), (width, height));
        foreach ((int px, int py) in new[] { (0, 0), (128, 128), (255, 17), (40, 250) })
        {
            // Tile 2/1/1 spans 90° W..0° and 0..66.5° N in Web Mercator.
            double lon = -90 + 90 * (px + 0.5) / 256;
            double mercatorY = Math.PI * (1 - 2 * (1 + (py + 0.5) / 256) / 4);
            double lat = Math.Atan(Math.Sinh(mercatorY)) * 180 / Math.PI;
            Rgba expected = viridis.Map(AnalyticField.F(lat, lon));
            Assert.InRange(planes[0][py * 256 + px] - expected.R, -3, 3);
            Assert.InRange(planes[1][py * 256 + px] - expected.G, -3, 3);
            Assert.InRange(planes[2][py * 256 + px] - expected.B, -3, 3);
            Assert.Equal(255, planes[3][py * 256 + px]);
        }
    }

    [Fact]
    public void A_crs84_tile_of_a_class_map_uses_class_colours_and_transparency()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equirectangular, 180, 360);
        SphereRaster map = Maps.Classes(grid, (lat, lon) => lat < -60 ? -1 : lon < 90 ? 1 : 2);
        MapClass[] classes = [new(1, "west", 200, 10, 10), new(2, "east", 10, 10, 200)];
        byte[] png = MapTileRenderer.RenderTile(map, TileMatrixSet.WorldCRS84Quad, 0, 1, 0, ColorMap.Categorical(classes));
        (byte[][] planes, int width, _) = Decode(png);
        // Tile 0/1/0 is the eastern hemisphere, 0..180° E, 90° N..90° S; one pixel is 180/256 degrees.
        int at45 = (int)(45 / 180.0 * 256);
        int at135 = (int)(135 / 180.0 * 256);
        int equator = 128;
        Assert.Equal((200, 10, 10, 255), Pixel(planes, width, at45, equator));
        Assert.Equal((10, 10, 200, 255), Pixel(planes, width, at135, equator));
        Assert.Equal(0, Pixel(planes, width, at45, 250).A);
    }

    [Fact]
    public void Previews_are_global_equirectangular_pngs()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.LegendreGauss, 64, 128);
        SphereRaster map = Maps.Continuous(grid);
        (byte[][] planes, int width, int height) = Decode(MapRenderer.RenderPng(map, ColorMap.Named("gray", 2, 18)));
        Assert.Equal((256, 128), (width, height));
        // The north (f ≈ 14) is brighter than the south (f ≈ 6).
        Assert.True(planes[0][2 * 256 + 128] > planes[0][125 * 256 + 128]);

        float[] rgb = new float[3 * grid.NodeCount];
        Array.Fill(rgb, 1000f, 0, (int)grid.NodeCount);
        SphereRaster hdr = new(grid, rgb, [new("r"), new("g"), new("b")]);
        (byte[][] tone, _, _) = Decode(MapRenderer.RenderRgbPng(hdr, (0, 1, 2), new RgbRenderOptions { Scale = 1, ToneMap = true, Gamma = 2.2 }, width: 64));
        Assert.Equal(255, tone[0][0]);
        Assert.Equal(0, tone[1][0]);
    }

    [Fact]
    public void Tiles_outside_the_matrix_are_refused_with_the_valid_range()
    {
        SphereRaster map = Maps.Continuous(SphereGrid.Create(GridKind.Equiangular, 19, 36));
        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            MapTileRenderer.RenderTile(map, TileMatrixSet.WorldCRS84Quad, 1, 4, 0, ColorMap.Viridis(0, 1)));
        Assert.Contains("x is 0..3 and y is 0..1", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => MapTileRenderer.RenderTile(map, TileMatrixSet.WebMercatorQuad, 25, 0, 0, ColorMap.Viridis(0, 1)));
        Assert.Throws<ArgumentException>(() => ColorMap.Named("rainbow", 0, 1));
        Assert.Throws<ArgumentException>(() => ColorMap.Viridis(1, 1));
    }

    private static (byte R, byte G, byte B, byte A) Pixel(byte[][] planes, int width, int x, int y) =>
        (planes[0][y * width + x], planes[1][y * width + x], planes[2][y * width + x], planes[3][y * width + x]);

    private (byte[][] Planes, int Width, int Height) Decode(byte[] png)
    {
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        string path = _directory.File($"{Guid.NewGuid():N}.png");
        File.WriteAllBytes(path, png);
        using GdalDataset dataset = GdalDataset.Open(path);
        Assert.Equal("PNG", dataset.DriverName);
        Assert.Equal(4, dataset.BandCount);
        byte[][] planes = new byte[4][];
        for (int b = 0; b < 4; b++)
        {
            planes[b] = new byte[dataset.Width * dataset.Height];
            dataset.GetBand(b + 1).Read<byte>(planes[b], 0, 0, dataset.Width, dataset.Height);
        }

        return (planes, dataset.Width, dataset.Height);
    }
}
