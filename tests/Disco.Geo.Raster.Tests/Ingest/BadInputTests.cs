using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster.Ingest;
using Disco.Geo.Raster.Tests.Support;

namespace Disco.Geo.Raster.Tests.Ingest;

/// <summary>Every bad input is rejected with a message that names the file and the problem, without large allocations.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly RasterIngestor _ingestor = new();
    private readonly SphereGrid _grid = SphereGrid.Create(GridKind.Equiangular, 91, 180);

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_missing_file_is_reported_by_name()
    {
        string path = _directory.File("nowhere.tif");
        FileNotFoundException error = await Assert.ThrowsAsync<FileNotFoundException>(() => _ingestor.IngestAsync(RasterSource.File(path), _grid));
        Assert.Contains("nowhere.tif", error.Message);
    }

    [Fact]
    public async Task An_empty_file_is_rejected_as_empty()
    {
        string path = _directory.File("empty.tif");
        File.WriteAllBytes(path, []);
        GdalException error = await Assert.ThrowsAsync<GdalException>(() => _ingestor.IngestAsync(RasterSource.File(path), _grid));
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public async Task A_corrupt_file_is_rejected_with_gdals_reason()
    {
        string path = _directory.File("corrupt.tif");
        byte[] noise = new byte[4096];
        new Random(7).NextBytes(noise);
        File.WriteAllBytes(path, noise);
        GdalException error = await Assert.ThrowsAsync<GdalException>(() => _ingestor.IngestAsync(RasterSource.File(path), _grid));
        Assert.Contains("corrupt.tif", error.Message);
        Assert.Contains("not recognized as a supported file format", error.Message);
    }

    [Fact]
    public async Task A_truncated_geotiff_fails_while_reading_with_the_tiff_error()
    {
        string path = _directory.File("truncated.tif");
        using (GdalDataset dataset = GdalDataset.Create("GTiff", path, 512, 256, 1, GdalDataType.Float32))
        {
            dataset.SetGeoTransform(GeoTransform.NorthUp(-180, 90, 360.0 / 512, 180.0 / 256));
            using SpatialReference wgs84 = SpatialReference.Wgs84();
            dataset.SetSpatialReference(wgs84);
            dataset.GetBand(1).Write<float>(Enumerable.Range(0, 512 * 256).Select(i => (float)i).ToArray(), 0, 0, 512, 256);
        }

        byte[] bytes = File.ReadAllBytes(path);
        // The header and strip offsets stay; the second half of the pixels is cut off.
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => _ingestor.IngestAsync(RasterSource.File(path), _grid));
        Assert.True(error is GdalException, error.ToString());
        Assert.Contains("truncated.tif", error.Message);
        Assert.Contains("TIFF", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_absurdly_large_raster_is_rejected_before_any_allocation()
    {
        // A sparse BigTIFF that claims 400 000 x 200 000 pixels (80 G pixels, 320 GB as float) in a few kilobytes.
        string path = _directory.File("huge.tif");
        using (GdalDataset dataset = GdalDataset.Create("GTiff", path, 400_000, 200_000, 1, GdalDataType.Float32,
                   new Dictionary<string, string> { ["SPARSE_OK"] = "TRUE", ["TILED"] = "YES", ["BLOCKXSIZE"] = "2048", ["BLOCKYSIZE"] = "2048", ["BIGTIFF"] = "YES", ["COMPRESS"] = "DEFLATE" }))
        {
            dataset.SetGeoTransform(GeoTransform.NorthUp(-180, 90, 360.0 / 400_000, 180.0 / 200_000));
        }

        Assert.True(new FileInfo(path).Length < 1_000_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        InvalidDataException error = Assert.Throws<InvalidDataException>(() =>
            _ingestor.Ingest(RasterSource.File(path), _grid, new RasterIngestOptions()));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("80,000,000,000 pixels", error.Message);
        Assert.Contains("MaxSourcePixels", error.Message);
        Assert.True(allocated < 4_000_000, $"allocated {allocated} bytes before rejecting");
    }

    [Fact]
    public async Task A_result_larger_than_the_limit_is_rejected_before_allocating_it()
    {
        string path = _directory.File("small.tif");
        AnalyticRasters.WriteGeographic(path, 36, 18);
        RasterIngestOptions options = new() { Limits = new RasterLimits { MaxResultBytes = 10_000 } };
        InvalidDataException error = await Assert.ThrowsAsync<InvalidDataException>(() => _ingestor.IngestAsync(RasterSource.File(path), _grid, options));
        Assert.Contains("65,520 bytes", error.Message);
        Assert.Contains("MaxResultBytes", error.Message);
    }

    [Fact]
    public async Task An_image_without_georeferencing_asks_for_bounds()
    {
        string path = _directory.File("plain.png");
        using (GdalDataset memory = GdalDataset.CreateInMemory(64, 32, 3, GdalDataType.Byte))
        using (memory.CreateCopy("PNG", path))
        {
        }

        InvalidDataException error = await Assert.ThrowsAsync<InvalidDataException>(() => _ingestor.IngestAsync(RasterSource.File(path), _grid));
        Assert.Contains("no georeferencing", error.Message);
        Assert.Contains("GlobalImage", error.Message);

        SphereRaster raster = await _ingestor.IngestAsync(RasterSource.GlobalImage(path), _grid);
        Assert.Equal(["red", "green", "blue"], raster.BandNames);
        Assert.Contains(raster.Provenance!.Notes, n => n.StartsWith("bounds assigned", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bad_band_selections_are_explained()
    {
        string path = _directory.File("one-band.tif");
        AnalyticRasters.WriteGeographic(path, 36, 18);
        ArgumentException outOfRange = await Assert.ThrowsAsync<ArgumentException>(() => _ingestor.IngestAsync(RasterSource.File(path), _grid,
            new RasterIngestOptions { Bands = [new BandSelection(3)] }));
        Assert.Contains("has bands 1..1", outOfRange.Message);

        ArgumentException interpolatedLabel = await Assert.ThrowsAsync<ArgumentException>(() => _ingestor.IngestAsync(RasterSource.File(path), _grid,
            new RasterIngestOptions { Bands = [new BandSelection(1, BandRole.Label, Resampling: Resampling.Bilinear)] }));
        Assert.Contains("invents classes", interpolatedLabel.Message);

        ArgumentException onlyMask = await Assert.ThrowsAsync<ArgumentException>(() => _ingestor.IngestAsync(RasterSource.File(path), _grid,
            new RasterIngestOptions { Bands = [new BandSelection(1, BandRole.Mask)] }));
        Assert.Contains("Mask role", onlyMask.Message);
    }

    [Fact]
    public async Task A_projected_raster_without_crs_is_not_guessed()
    {
        string path = _directory.File("metres.tif");
        using (GdalDataset dataset = GdalDataset.Create("GTiff", path, 100, 50, 1, GdalDataType.Float32))
        {
            dataset.SetGeoTransform(GeoTransform.NorthUp(-1_000_000, 500_000, 20_000, 20_000));
        }

        InvalidDataException error = await Assert.ThrowsAsync<InvalidDataException>(() => _ingestor.IngestAsync(RasterSource.File(path), _grid));
        Assert.Contains("no CRS", error.Message);
        Assert.Contains("AssignCrs", error.Message);
    }

    [Fact]
    public async Task Cancellation_stops_the_ingest()
    {
        string path = _directory.File("cancel.tif");
        AnalyticRasters.WriteGeographic(path, 360, 180);
        using CancellationTokenSource cancelled = new();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _ingestor.IngestAsync(RasterSource.File(path), _grid, cancellationToken: cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => _ingestor.Ingest(RasterSource.File(path), _grid, new RasterIngestOptions(), cancelled.Token));
    }
}
