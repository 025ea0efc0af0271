namespace Disco.Geo.Gdal;

/// <summary>Settings for <see cref="GdalRuntime.Configure"/>.</summary>
public sealed record GdalRuntimeOptions
{
    /// <summary>
    /// A library file or soname to load instead of searching libgdal.so, libgdal.so.40 … libgdal.so.32. The environment
    /// variable DISCO_GDAL_LIBRARY has the same effect; this setting wins when both are given.
    /// </summary>
    public string? LibraryPath { get; init; }

    /// <summary>Process-wide GDAL configuration options (CPLSetConfigOption), e.g. GDAL_CACHEMAX.</summary>
    public IReadOnlyDictionary<string, string> ConfigOptions { get; init; } = new Dictionary<string, string>();
}
