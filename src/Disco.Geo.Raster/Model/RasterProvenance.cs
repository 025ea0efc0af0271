namespace Disco.Geo.Raster;

/// <summary>Where a <see cref="SphereRaster"/> came from and how it was made, for reproducibility and for writing it back.</summary>
public sealed record RasterProvenance
{
    /// <summary>Source file(s) or GDAL connection string(s).</summary>
    public required IReadOnlyList<string> Sources { get; init; }

    /// <summary>GDAL driver of the (first) source, e.g. "GTiff", "netCDF", "JPEG", or "OpenEXR" for our decoder.</summary>
    public string? Driver { get; init; }

    /// <summary>The source CRS as an authority id ("EPSG:8857") when known, else its name or WKT.</summary>
    public string? SourceCrs { get; init; }

    /// <summary>The source CRS as WKT, to reproject results back onto the source grid.</summary>
    public string? SourceCrsWkt { get; init; }

    /// <summary>Outer bounds of the source in its CRS (after any assigned or corrected georeferencing).</summary>
    public GeoBounds? SourceBounds { get; init; }

    /// <summary>Source raster size in pixels (width, height).</summary>
    public (int Width, int Height) SourceSize { get; init; }

    /// <summary>The source geotransform as GDAL's six coefficients, when axis-aligned.</summary>
    public IReadOnlyList<double>? SourceGeoTransform { get; init; }

    /// <summary>The target grid, e.g. "equiangular 361x720 (lon0 = -180°)".</summary>
    public string? Grid { get; init; }

    /// <summary>Resampling used per band, by band name.</summary>
    public IReadOnlyDictionary<string, string> Resampling { get; init; } = new Dictionary<string, string>();

    /// <summary>Decisions taken on the way (CRS assumed, longitudes wrapped, pixel size corrected, rotation applied, …).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
