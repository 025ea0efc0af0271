namespace Disco.Geo.Raster.Tests.Support;

/// <summary>Analytic rasters shared by the ingest tests, written once per test class.</summary>
public sealed class AnalyticFixture : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly Lazy<string> _fine;
    private readonly Lazy<string> _fine0To360;
    private readonly Lazy<string> _coarse;
    private readonly Lazy<string> _equalEarth;

    public AnalyticFixture()
    {
        _fine = new(() => Write("f_4326_1440.tif", p => AnalyticRasters.WriteGeographic(p, 1440, 720)));
        _fine0To360 = new(() => Write("f_4326_0_360.tif", p => AnalyticRasters.WriteGeographic(p, 1440, 720, west: 0)));
        _coarse = new(() => Write("f_4326_360.tif", p => AnalyticRasters.WriteGeographic(p, 360, 180)));
        // Equal Earth (EPSG:8857): x within ±17 243 959 m, y within ±8 392 928 m.
        _equalEarth = new(() => Write("f_8857.tif", p => AnalyticRasters.WriteProjected(p, "EPSG:8857", 1600, 800, 17_250_000, 8_400_000)));
    }

    /// <summary>f at 0.25° pixel centres, −180..180.</summary>
    public string Fine => _fine.Value;

    /// <summary>f at 0.25° pixel centres, 0..360.</summary>
    public string Fine0To360 => _fine0To360.Value;

    /// <summary>f at 1° pixel centres, −180..180.</summary>
    public string Coarse => _coarse.Value;

    /// <summary>f on a 1600×800 Equal Earth raster, nodata outside the map outline.</summary>
    public string EqualEarth => _equalEarth.Value;

    public string Scratch(string name) => _directory.File(name);

    public void Dispose() => _directory.Dispose();

    private string Write(string name, Action<string> write)
    {
        string path = _directory.File(name);
        write(path);
        return path;
    }
}
