using System.Text.Json;
using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster.Ingest;

namespace Disco.Geo.Raster.Tests.Ingest;

/// <summary>
/// Images without georeferencing placed by the request's bounds: read exactly as the same pixels written as a
/// georeferenced GeoTIFF with those bounds (values and validity mask), refused on a georeferenced file, and the old
/// rule (2:1 = the whole globe, anything else refused) unchanged without bounds.
/// </summary>
public sealed class BoundedImageTests : IDisposable
{
    // 5° equiangular grid, column 0 at 180° W.
    private static readonly SphereGrid Grid = SphereGrid.Create(GridKind.Equiangular, 37, 72);

    // 0..90° E × 0..45° N; 120 × 40 pixels (not 2:1, and pixels not square: 0.75° × 1.125°).
    private static readonly GeoBounds Region = new(0, 0, 90, 45);
    private const int Width = 120;
    private const int Height = 40;

    private readonly TempDirectory _temp = new();
    private readonly MultiSourceIngestor _ingestor = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_png_placed_by_bounds_reads_like_the_same_pixels_as_a_georeferenced_geotiff_with_those_bounds()
    {
        string png = Png("region.png", Width, Height);
        string tif = GeoTiff("region.tif", Region);

        AssembledIngest placed = await _ingestor.IngestAsync(Request(Files(png) with { Bounds = Region }));
        AssembledIngest referenced = await _ingestor.IngestAsync(Request(Files(tif)));

        Assert.NotNull(placed.Mask);
        Assert.Equal(referenced.Mask, placed.Mask);
        Assert.Equal(referenced.Values, placed.Values);

        // The mask is the region: nodes well inside are valid, nodes outside (west of 0°, south of the equator, north of 45°) are not.
        for (int i = 0; i < Grid.NLat; i++)
        {
            for (int j = 0; j < Grid.NLon; j++)
            {
                double lat = Grid.LatitudeDegrees(i);
                double lon = -180 + (j * 5.0);
                byte valid = placed.Mask![(i * Grid.NLon) + j];
                if (lat is > 5 and < 40 && lon is > 5 and < 85)
                {
                    Assert.Equal(1, valid);
                }
                else if (lat is < -5 or > 50 || lon is < -5 or > 95)
                {
                    Assert.Equal(0, valid);
                }
            }
        }

        using JsonDocument provenance = JsonDocument.Parse(placed.ProvenanceJson);
        JsonElement source = provenance.RootElement.GetProperty("sources")[0];
        Assert.Contains(source.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("placed its 120x40 pixels", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bounds_on_a_georeferenced_file_are_refused_naming_its_crs_and_the_bounds_field()
    {
        string tif = GeoTiff("region.tif", Region);

        IngestInputException main = await Assert.ThrowsAsync<IngestInputException>(() => _ingestor.InspectAsync(Request(Files(tif) with { Bounds = Region })));
        Assert.Equal("bounds", main.Field);
        Assert.Contains("already georeferenced (EPSG:4326); drop bounds", main.Message, StringComparison.Ordinal);

        string png = Png("plain.png", 72, 36);
        IngestInputException extra = await Assert.ThrowsAsync<IngestInputException>(() =>
            _ingestor.InspectAsync(Request(Files(png), Files(tif) with { Bounds = Region })));
        Assert.Equal("additional_sources[0].bounds", extra.Field);
    }

    [Fact]
    public async Task Without_bounds_a_2_to_1_image_is_still_the_whole_globe_and_any_other_shape_is_refused()
    {
        string world = Png("world.png", 72, 36);
        string worldTif = GeoTiff("world.tif", GeoBounds.World, 72, 36);

        AssembledIngest global = await _ingestor.IngestAsync(Request(Files(world)));
        AssembledIngest referenced = await _ingestor.IngestAsync(Request(Files(worldTif)));
        Assert.Equal(referenced.Values, global.Values);
        Assert.Equal(referenced.Mask, global.Mask);
        using (JsonDocument provenance = JsonDocument.Parse(global.ProvenanceJson))
        {
            JsonElement source = provenance.RootElement.GetProperty("sources")[0];
            Assert.Equal("global-image", source.GetProperty("kind").GetString());
            Assert.Contains(source.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("exactly 2:1", StringComparison.Ordinal));
        }

        string region = Png("region.png", Width, Height);
        IngestInputException refused = await Assert.ThrowsAsync<IngestInputException>(() => _ingestor.InspectAsync(Request(Files(region))));
        Assert.Contains("has no georeferencing and is 120x40 pixels", refused.Message, StringComparison.Ordinal);
        Assert.Contains("`--bounds`", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>A pattern no resampling can confuse with another: distinct values along both axes.</summary>
    private static byte[] Pixels(int width, int height)
    {
        var pixels = new byte[width * height];
        for (int r = 0; r < height; r++)
        {
            for (int c = 0; c < width; c++)
            {
                pixels[(r * width) + c] = (byte)(((r * 5) + (c * 2)) % 251);
            }
        }

        return pixels;
    }

    private string Png(string name, int width, int height)
    {
        string path = _temp.File(name);
        using GdalDataset memory = GdalDataset.CreateInMemory(width, height, 1, GdalDataType.Byte);
        memory.GetBand(1).Write<byte>(Pixels(width, height), 0, 0, width, height);
        using (memory.CreateCopy("PNG", path))
        {
        }

        return path;
    }

    private string GeoTiff(string name, GeoBounds bounds, int width = Width, int height = Height)
    {
        string path = _temp.File(name);
        using GdalDataset dataset = GdalDataset.Create("GTiff", path, width, height, 1, GdalDataType.Byte);
        dataset.SetGeoTransform(GeoTransform.NorthUp(bounds.West, bounds.North, bounds.Width / width, bounds.Height / height));
        using (SpatialReference wgs84 = SpatialReference.Wgs84())
        {
            dataset.SetSpatialReference(wgs84);
        }

        dataset.GetBand(1).Write<byte>(Pixels(width, height), 0, 0, width, height);
        return path;
    }

    private SourceFiles Files(string path) => new([path], SourceSandbox.Directories([_temp.Path], IngestSandboxes.AllowedDrivers));

    private static MultiSourceRequest Request(params SourceFiles[] sources) => new(sources, Grid, [], RasterLimits.Default);
}
