using Disco.Geo.Gdal;
using Disco.Geo.Raster.Ingest;
using Microsoft.Extensions.Logging;

namespace Disco.Geo.Raster.Tests.Ingest;

/// <summary>Source inspection on a GDAL-written file (moved from the GDAL binding tests: it needs the raster ingest).</summary>
public sealed class RasterInspectorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("disco-gdal-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Inspection_lists_bands_and_gdal_messages_reach_a_logger()
    {
        string path = Path.Combine(_directory, "inspect.tif");
        using (GdalDataset dataset = GdalDataset.Create("GTiff", path, 10, 5, 2, GdalDataType.Int16))
        {
            dataset.SetGeoTransform(GeoTransform.NorthUp(-180, 90, 36, 36));
            using SpatialReference wgs84 = SpatialReference.Wgs84();
            dataset.SetSpatialReference(wgs84);
            dataset.GetBand(2).Description = "labels";
            dataset.GetBand(2).NoDataValue = -1;
        }

        SourceInfo info = RasterInspector.Inspect(path);
        Assert.Equal(("GTiff", 10, 5, "EPSG:4326"), (info.Driver, info.Width, info.Height, info.Crs));
        Assert.Equal(new Disco.Geo.Raster.GeoBounds(-180, -90, 180, 90), info.Bounds);
        Assert.Equal("labels", info.Bands[1].Description);
        Assert.Equal(-1, info.Bands[1].NoData);

        ListLogger logger = new();
        using (GdalLogging.Forward(logger))
        {
            string junk = Path.Combine(_directory, "junk.tif");
            File.WriteAllText(junk, "not a raster");
            Assert.Throws<GdalException>(() => GdalDataset.Open(junk));
        }

        Assert.Contains(logger.Messages, m => m.Level == LogLevel.Error && m.Text.Contains("junk.tif", StringComparison.Ordinal));
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages)
            {
                Messages.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
