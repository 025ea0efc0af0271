using System.Text.Json;
using Disco.Geo.Engine.Export;
using Disco.Geo.Engine.Tiles;
using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster;
using Disco.Geo.Raster.Storage;
using Disco.Geo.Sphere.Packaging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Disco.Geo.Engine.Tests.Export;

/// <summary>
/// The prediction exporter and the map tile renderer on maps stored in the server's own tensor format, driven
/// directly; the files they write are read back with GDAL and OGR.
/// </summary>
public sealed class RasterExportAndTileTests : IDisposable
{
    // The server's default bound on raster sizes (Limits:MaxRasterPixels).
    private const long DefaultMaxRasterPixels = 400_000_000;

    // 10° equiangular grid, column 0 at 0° E.
    private static readonly SphereGrid Grid = SphereGrid.Create(GridKind.Equiangular, 19, 36, lonOriginDegrees: 0);

    private static readonly MapModel LandWater = new(
        "mdl_01M88H4Z67HD4W5C06392PXC16", "land-water", "segmentation", [new ClassInfo(0, "water", "#1f4e9c"), new ClassInfo(1, "land", "#3c8d2f")]);

    private readonly TempDirectory _temp = new();
    private readonly string _directory;
    private readonly PredictionMapCache _cache = new(NullLogger<PredictionMapCache>.Instance, PredictionMapCache.DefaultCapacityBytes);
    private readonly RasterPredictionExporter _exporter;
    private readonly RasterMapTileRenderer _tiles;

    public RasterExportAndTileTests()
    {
        _directory = _temp.Path;
        _exporter = new RasterPredictionExporter(_cache, new EngineOptions { MaxRasterPixels = DefaultMaxRasterPixels }, NullLogger<RasterPredictionExporter>.Instance);
        _tiles = new RasterMapTileRenderer(_cache);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_class_map_exports_as_a_paletted_geotiff_with_the_model_classes_and_a_cog()
    {
        PredictionMap map = ClassMap();
        string path = Path.Combine(_directory, "classes.tif");
        Assert.Equal("image/tiff; application=geotiff", await _exporter.ExportAsync(map, ExportFileFormat.GeoTiff, 0, 0, path, CancellationToken.None));
        // GDAL's sidecar with the class names stays beside the file; the service streams it inline.
        Assert.True(File.Exists(path + ".aux.xml"));
        using (GdalDataset tiff = GdalDataset.Open(path))
        {
            // One pixel per node: 19 rows of 10° centred on 90°, 80°, …, -90°.
            Assert.Equal((36, 19, 1), (tiff.Width, tiff.Height, tiff.BandCount));
            Assert.Equal(GeoTransform.NorthUp(-5, 95, 10, 10), tiff.GetGeoTransform());
            using (SpatialReference? crs = tiff.GetSpatialReference())
            {
                Assert.Equal("EPSG:4326", crs?.AuthorityId);
            }

            GdalBand band = tiff.GetBand(1);
            Assert.Equal((GdalDataType.Byte, 255.0), (band.DataType, band.NoDataValue));
            IReadOnlyList<ColorEntry> colours = band.GetColorTable()!;
            Assert.Equal(new ColorEntry(0x1f, 0x4e, 0x9c), colours[0]);
            Assert.Equal(new ColorEntry(0x3c, 0x8d, 0x2f), colours[1]);
            using (JsonDocument classes = JsonDocument.Parse(tiff.GetMetadataItem("DISCO_CLASSES")!))
            {
                Assert.Equal(["water", "land"], classes.RootElement.EnumerateArray().Select(c => c.GetProperty("name").GetString()));
                Assert.Equal("#3c8d2f", classes.RootElement[1].GetProperty("color").GetString());
            }

            Assert.Equal(["water", "land"], band.GetCategoryNames().Take(2));
            Assert.Equal(map.PredictionId, tiff.GetMetadataItem("DISCO_PREDICTION"));
            byte[] pixels = new byte[36 * 19];
            band.Read<byte>(pixels, 0, 0, 36, 19);
            Assert.All(pixels[..36], p => Assert.Equal(1, p));
            Assert.All(pixels[(9 * 36)..(10 * 36)], p => Assert.Equal(0, p)); // the equator's nodes are water (lat > 0 is land)
            Assert.Equal(0, pixels[(17 * 36) + 18]);
            Assert.Equal(255, pixels[(13 * 36) + 1]); // 40° S, 10° E: no data
        }

        string cog = Path.Combine(_directory, "classes-cog.tif");
        Assert.Equal("image/tiff; application=geotiff; profile=cloud-optimized", await _exporter.ExportAsync(map, ExportFileFormat.Cog, 0, 0, cog, CancellationToken.None));
        using GdalDataset cloud = GdalDataset.Open(cog);
        Assert.Equal("COG", cloud.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"));
        Assert.NotNull(cloud.GetBand(1).GetColorTable());
        Assert.Equal(["water", "land"], cloud.GetBand(1).GetAttributeTable()!.Rows.Select(r => r[1]));
    }

    [Fact]
    public async Task Probabilities_export_as_float32_bands_with_descriptions_at_a_requested_size()
    {
        PredictionMap map = Probabilities();
        string path = Path.Combine(_directory, "probabilities.tif");
        await _exporter.ExportAsync(map, ExportFileFormat.Cog, 720, 0, path, CancellationToken.None);
        using GdalDataset tiff = GdalDataset.Open(path);
        Assert.Equal((720, 360, 2), (tiff.Width, tiff.Height, tiff.BandCount));
        Assert.Equal(GeoTransform.NorthUp(-180, 90, 0.5, 0.5), tiff.GetGeoTransform());
        Assert.Equal(["p_water", "p_land"], new[] { tiff.GetBand(1).Description, tiff.GetBand(2).Description });
        Assert.Equal(GdalDataType.Float32, tiff.GetBand(2).DataType);
        Assert.True(double.IsNaN(tiff.GetBand(2).NoDataValue!.Value));
        float[] row = new float[720];
        tiff.GetBand(2).Read<float>(row, 0, 90, 720, 1); // 44.75° N
        Assert.Equal(0.8f, row[560], 3);
        tiff.GetBand(2).Read<float>(row, 0, 270, 720, 1); // 45.25° S: no data between 20° W and 60° E
        Assert.True(float.IsNaN(row[370]));
        Assert.Equal(0.3f, row[600], 3);
        Assert.Null(tiff.GetMetadataItem("DISCO_CLASSES"));

        string large = Path.Combine(_directory, "large.tif");
        var small = new RasterPredictionExporter(_cache, new EngineOptions { MaxRasterPixels = 100_000 }, NullLogger<RasterPredictionExporter>.Instance);
        EngineInputException e = await Assert.ThrowsAsync<EngineInputException>(() => small.ExportAsync(map, ExportFileFormat.GeoTiff, 720, 360, large, CancellationToken.None));
        Assert.Contains("Limits:MaxRasterPixels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Class_polygons_export_as_geojson_with_areas_and_maps_without_classes_are_refused()
    {
        string path = Path.Combine(_directory, "classes.geojson");
        Assert.Equal("application/geo+json", await _exporter.ExportAsync(ClassMap(), ExportFileFormat.GeoJson, 0, 0, path, CancellationToken.None));
        using (GdalDataset vector = GdalDataset.Open(path, GdalOpenKind.Vector))
        {
            OgrLayer layer = vector.GetLayer(0);
            Assert.Contains(("area_km2", OgrFieldType.Real), layer.Fields);
            IReadOnlyList<OgrFeatureRecord> features = layer.ReadFeatures();
            double land = features.Where(f => Convert.ToInt32(f.Fields["class"]) == 1).Sum(f => Convert.ToDouble(f.Fields["area_km2"]));
            double water = features.Where(f => Convert.ToInt32(f.Fields["class"]) == 0).Sum(f => Convert.ToDouble(f.Fields["area_km2"]));
            Assert.All(features, f => Assert.Equal(Convert.ToInt32(f.Fields["class"]) == 1 ? "land" : "water", f.Fields["name"]));

            // Land is every node north of the equator, whose cells (one per node, 10° high) start 5° north of it;
            // the no-data box is cut out of the water.
            double north = Disco.Geo.Raster.Statistics.EllipsoidArea.BoxAreaKm2(-180, 5, 180, 90);
            Assert.InRange(land, north * 0.999, north * 1.001);
            Assert.InRange(water, 200e6, 245e6);
        }

        string probabilities = Path.Combine(_directory, "probabilities.geojson");
        await _exporter.ExportAsync(Probabilities(), ExportFileFormat.GeoJson, 0, 0, probabilities, CancellationToken.None);
        using (GdalDataset vector = GdalDataset.Open(probabilities, GdalOpenKind.Vector))
        {
            Assert.Contains(vector.GetLayer(0).ReadFeatures(), f => Equals(f.Fields["name"], "land"));
        }

        EngineInputException e = await Assert.ThrowsAsync<EngineInputException>(() =>
            _exporter.ExportAsync(Elevation(), ExportFileFormat.GeoJson, 0, 0, Path.Combine(_directory, "elevation.geojson"), CancellationToken.None));
        Assert.Contains("continuous values", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Png_previews_decode_with_class_colours_and_transparent_no_data()
    {
        string path = Path.Combine(_directory, "classes.png");
        Assert.Equal("image/png", await _exporter.ExportAsync(ClassMap(), ExportFileFormat.Png, 0, 0, path, CancellationToken.None));
        using (GdalDataset png = GdalDataset.Open(path))
        {
            // The COG's pixels: one per node.
            Assert.Equal((36, 19, 4), (png.Width, png.Height, png.BandCount));
            Assert.Equal([0x3c, 0x8d, 0x2f, 255], Pixel(png, 18, 1));
            Assert.Equal([0x1f, 0x4e, 0x9c, 255], Pixel(png, 20, 17));
            Assert.Equal(0, Pixel(png, 2, 13)[3]); // 20° E, 40° S: no data
        }

        string elevation = Path.Combine(_directory, "elevation.png");
        await _exporter.ExportAsync(Elevation(), ExportFileFormat.Png, 0, 100, elevation, CancellationToken.None);
        using (GdalDataset png = GdalDataset.Open(elevation))
        {
            Assert.Equal((200, 100), (png.Width, png.Height));
        }

        EngineInputException e = await Assert.ThrowsAsync<EngineInputException>(() =>
            _exporter.ExportAsync(ClassMap(), ExportFileFormat.Png, 100, 100, Path.Combine(_directory, "square.png"), CancellationToken.None));
        Assert.Contains("twice as wide as high", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tiles_render_for_both_matrix_sets_are_absent_over_no_data_and_share_one_loaded_map()
    {
        PredictionMap map = ClassMap();
        byte[]? mercator = await _tiles.RenderTileAsync(Request(map, TileMatrixSets.WebMercatorQuad, 0, 0, 0), CancellationToken.None);
        byte[]? crs84 = await _tiles.RenderTileAsync(Request(map, TileMatrixSets.WorldCrs84Quad, 2, 0, 0), CancellationToken.None);
        Assert.Null(await _tiles.RenderTileAsync(Request(map, TileMatrixSets.WorldCrs84Quad, 2, 4, 3), CancellationToken.None));
        Assert.Null(await _tiles.RenderTileAsync(Request(map, TileMatrixSets.WorldCrs84Quad, 3, 8, 7), CancellationToken.None));
        foreach (byte[]? tile in new[] { mercator, crs84 })
        {
            string file = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".png");
            await File.WriteAllBytesAsync(file, tile!);
            using GdalDataset png = GdalDataset.Open(file);
            Assert.Equal((256, 256, 4), (png.Width, png.Height, png.BandCount));
        }

        // The CRS84 tile 2/0/0 covers 180° W..135° W, 45° N..90° N: all land.
        string crsFile = Path.Combine(_directory, "crs84.png");
        await File.WriteAllBytesAsync(crsFile, crs84!);
        using (GdalDataset png = GdalDataset.Open(crsFile))
        {
            Assert.Equal([0x3c, 0x8d, 0x2f, 255], Pixel(png, 128, 128));
        }

        await _exporter.ExportAsync(map, ExportFileFormat.Png, 0, 0, Path.Combine(_directory, "preview.png"), CancellationToken.None);
        Assert.Equal(1, _cache.Loads);
        Assert.Equal(1, _cache.Count);

        // A budget for one map: loading a second evicts the first, which is then read again.
        var one = new PredictionMapCache(NullLogger<PredictionMapCache>.Instance, _cache.Bytes + 1000);
        var tiles = new RasterMapTileRenderer(one);
        await tiles.RenderTileAsync(Request(map, TileMatrixSets.WebMercatorQuad, 1, 0, 0), CancellationToken.None);
        await tiles.RenderTileAsync(Request(ClassMap("other"), TileMatrixSets.WebMercatorQuad, 1, 0, 0), CancellationToken.None);
        Assert.Equal((2L, 1), (one.Loads, one.Count));
        await tiles.RenderTileAsync(Request(map, TileMatrixSets.WebMercatorQuad, 1, 1, 0), CancellationToken.None);
        Assert.Equal(3, one.Loads);
    }

    private static MapTileRequest Request(PredictionMap map, string matrixSet, int z, int x, int y) =>
        new(map, matrixSet, z, x, y, TileMatrixSets.Bounds(matrixSet, z, x, y), TileMatrixSets.TileSize);

    /// <summary>The two OGC tile matrix sets the tile endpoint serves (rows from the north), to build requests as it does.</summary>
    private static class TileMatrixSets
    {
        public const string WebMercatorQuad = "WebMercatorQuad";
        public const string WorldCrs84Quad = "WorldCRS84Quad";
        public const int TileSize = 256;
        private const double MercatorExtent = 20037508.342789244;

        public static (double MinX, double MinY, double MaxX, double MaxY) Bounds(string id, int zoom, long column, long row)
        {
            if (id == WebMercatorQuad)
            {
                double size = 2 * MercatorExtent / (1L << zoom);
                return (-MercatorExtent + (column * size), MercatorExtent - ((row + 1) * size), -MercatorExtent + ((column + 1) * size), MercatorExtent - (row * size));
            }

            double degrees = 180.0 / (1L << zoom);
            return (-180 + (column * degrees), 90 - ((row + 1) * degrees), -180 + ((column + 1) * degrees), 90 - (row * degrees));
        }
    }

    private static byte[] Pixel(GdalDataset png, int column, int row)
    {
        byte[] rgba = new byte[4];
        for (int b = 0; b < 4; b++)
        {
            png.GetBand(b + 1).Read<byte>(rgba.AsSpan(b, 1), column, row, 1, 1);
        }

        return rgba;
    }

    // No data south of 30° S between 20° W and 60° E.
    private static bool HasData(double lat, double lon) => !(lat <= -30 && (lon >= 340 || lon <= 60));

    private PredictionMap ClassMap(string name = "classes") =>
        Write(name, [new DatasetBand("class", BandRole.Label)], LandWater, (lat, _) => [lat > 0 ? 1 : 0]);

    private PredictionMap Probabilities() =>
        Write("probabilities", [new DatasetBand("p_water", BandRole.Input), new DatasetBand("p_land", BandRole.Input)], LandWater,
            (lat, _) => lat > 0 ? [0.2f, 0.8f] : [0.7f, 0.3f]);

    private PredictionMap Elevation() =>
        Write("elevation", [new DatasetBand("elevation", BandRole.Input)], new MapModel("mdl_elevation", "", "regression", []),
            (lat, lon) => [(float)((lat * 10) + lon)]);

    /// <summary>A map as the prediction job stores it: a tensor file with a mask, and the record's grid, bands and model.</summary>
    private PredictionMap Write(string name, DatasetBand[] bands, MapModel model, Func<double, double, float[]> value)
    {
        string path = Path.Combine(_directory, name + ".tensor");
        int nodes = Grid.NLat * Grid.NLon;
        float[] values = new float[bands.Length * nodes];
        byte[] mask = new byte[nodes];
        for (int i = 0; i < Grid.NLat; i++)
        {
            double lat = 90 - (10 * i);
            for (int p = 0; p < Grid.NLon; p++)
            {
                double lon = 10 * p;
                float[] node = value(lat, lon);
                for (int b = 0; b < bands.Length; b++)
                {
                    values[(b * nodes) + (i * Grid.NLon) + p] = node[b];
                }

                mask[(i * Grid.NLon) + p] = HasData(lat, lon) ? (byte)1 : (byte)0;
            }
        }

        using (TensorFile file = TensorFile.Create(path, bands.Length, Grid.NLat, Grid.NLon, hasMask: true))
        {
            file.WriteRows(0, Grid.NLat, values, mask);
        }

        return new PredictionMap("prd_" + name, path, Grid, bands, model);
    }
}
