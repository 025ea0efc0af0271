using Disco.Geo.Gdal;
using Disco.Geo.Gdal.Utilities;

namespace Disco.Geo.Raster.Tests.Gdal;

public sealed class GdalBindingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("disco-gdal-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void LoadsTheSystemLibraryAndItsDrivers()
    {
        GdalRuntime.EnsureInitialized();
        Assert.StartsWith("3.", GdalRuntime.Version);
        Assert.Matches(@"libgdal", GdalRuntime.LibraryName);
        foreach (string driver in new[] { "GTiff", "COG", "PNG", "JPEG", "netCDF", "GeoJSON", "MEM", "VRT", "ESRI Shapefile" })
        {
            Assert.True(GdalRuntime.HasDriver(driver), driver);
        }
    }

    [Fact]
    public void WritesAndReadsBackAGeoTiff()
    {
        string path = Path.Combine(_directory, "a.tif");
        float[] values = Enumerable.Range(0, 6 * 4).Select(i => (float)i).ToArray();
        using (GdalDataset dataset = GdalDataset.Create("GTiff", path, 6, 4, 1, GdalDataType.Float32))
        {
            dataset.SetGeoTransform(GeoTransform.NorthUp(-180, 90, 60, 45));
            using SpatialReference wgs84 = SpatialReference.Wgs84();
            dataset.SetSpatialReference(wgs84);
            GdalBand band = dataset.GetBand(1);
            band.NoDataValue = -9999;
            band.Description = "elevation";
            band.Write<float>(values, 0, 0, 6, 4);
        }

        using GdalDataset read = GdalDataset.Open(path);
        Assert.Equal("GTiff", read.DriverName);
        Assert.Equal(GeoTransform.NorthUp(-180, 90, 60, 45), read.GetGeoTransform());
        using SpatialReference? crs = read.GetSpatialReference();
        Assert.Equal("EPSG:4326", crs?.AuthorityId);
        GdalBand back = read.GetBand(1);
        Assert.Equal(-9999, back.NoDataValue);
        Assert.Equal("elevation", back.Description);
        float[] buffer = new float[24];
        back.Read<float>(buffer, 0, 0, 6, 4);
        Assert.Equal(values, buffer);
    }

    [Fact]
    public void RejectsACorruptFileWithGdalsMessage()
    {
        string path = Path.Combine(_directory, "corrupt.tif");
        File.WriteAllText(path, "this is not a tiff");
        GdalException error = Assert.Throws<GdalException>(() => GdalDataset.Open(path));
        Assert.Contains("corrupt.tif", error.Message);
        Assert.Contains("not recognized", error.Message);
    }

    [Fact]
    public void TranslateHonoursCancellation()
    {
        using GdalDataset source = GdalDataset.CreateInMemory(64, 64, 1, GdalDataType.Byte);
        using CancellationTokenSource cancelled = new();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            GdalUtilities.Translate(source, Path.Combine(_directory, "x.tif"), ["-of", "GTiff"], cancelled.Token));
    }
}
