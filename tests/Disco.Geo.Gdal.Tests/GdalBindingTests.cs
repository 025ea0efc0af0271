using Disco.Geo.Gdal;
using Disco.Geo.Gdal.Interop;
using Disco.Geo.Gdal.Utilities;

namespace Disco.Geo.Gdal.Tests;

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

    [Fact]
    public void The_library_search_covers_the_sonames_and_honours_the_override()
    {
        IReadOnlyList<string> candidates = GdalLibraryResolver.Candidates();
        if (Environment.GetEnvironmentVariable(GdalLibraryResolver.OverrideVariable) is null)
        {
            Assert.Equal("libgdal.so", candidates[0]);
            Assert.Contains("libgdal.so.32", candidates);
            Assert.Contains("libgdal.so.40", candidates);
        }

        // Once loaded, asking for a different library is an error that says so.
        GdalRuntime.EnsureInitialized();
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() =>
            GdalRuntime.Configure(new GdalRuntimeOptions { LibraryPath = "/opt/other/libgdal.so.99" }));
        Assert.Contains("already loaded", error.Message);
    }

    [Fact]
    public void Crs_and_utility_mistakes_carry_gdals_explanation()
    {
        ArgumentException crs = Assert.Throws<ArgumentException>(() => SpatialReference.FromUserInput("EPSG:999999"));
        Assert.Contains("EPSG:999999", crs.Message);
        using GdalDataset source = GdalDataset.CreateInMemory(8, 8, 1, GdalDataType.Byte);
        ArgumentException arguments = Assert.Throws<ArgumentException>(() => GdalUtilities.Translate(source, "", ["-of", "MEM", "-bogus-flag"]));
        Assert.Contains("-bogus-flag", arguments.Message);
        GdalException driver = Assert.Throws<GdalException>(() => GdalDataset.Create("NoSuchDriver", "x", 1, 1, 1, GdalDataType.Byte));
        Assert.Contains("no 'NoSuchDriver' driver", driver.Message);
    }

    [Fact]
    public void Coordinates_transform_between_wgs84_and_equal_earth()
    {
        using SpatialReference wgs84 = SpatialReference.Wgs84();
        using SpatialReference equalEarth = SpatialReference.FromUserInput("EPSG:8857");
        Assert.True(equalEarth.IsProjected);
        using CoordinateTransformation forward = CoordinateTransformation.Create(wgs84, equalEarth);
        double[] x = [0, 180, 0];
        double[] y = [0, 0, 90];
        Assert.True(forward.Transform(x, y));
        // Traditional GIS order: x is the longitude; 180° E on the equator is Equal Earth's east edge (17 243 959 m).
        Assert.Equal(0, x[0], 1e-6);
        Assert.Equal(17_243_959.06, x[1], 1.0);
        Assert.Equal(8_392_927.6, y[2], 1.0);
    }
}
