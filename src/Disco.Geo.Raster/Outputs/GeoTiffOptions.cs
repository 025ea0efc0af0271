using Disco.Geo.Gdal;

namespace Disco.Geo.Raster.Outputs;

/// <summary>Pixel type of a written raster.</summary>
public enum OutputDataType
{
    /// <summary>Byte for class maps with ids up to 254, UInt16 up to 65534, Float32 for anything else.</summary>
    Auto,

    /// <summary>Unsigned 8-bit (nodata 255).</summary>
    Byte,

    /// <summary>Unsigned 16-bit (nodata 65535).</summary>
    UInt16,

    /// <summary>Signed 16-bit (nodata −32768).</summary>
    Int16,

    /// <summary>32-bit float (nodata NaN).</summary>
    Float32,
}

/// <summary>How <see cref="GeoTiffWriter"/> writes a map.</summary>
public sealed record GeoTiffOptions
{
    /// <summary>Pixel type; Auto picks from the values (see <see cref="OutputDataType.Auto"/>).</summary>
    public OutputDataType DataType { get; init; } = OutputDataType.Auto;

    /// <summary>
    /// Classes of a single-band class map: written as a colour table and category names (shown by QGIS as a paletted
    /// legend). Null writes no palette; a raster whose bands all have the Label role then gets <see cref="MapClass.Default"/> colours.
    /// </summary>
    public IReadOnlyList<MapClass>? Classes { get; init; }

    /// <summary>Compression (DEFLATE, LZW, ZSTD, NONE). Default DEFLATE with a predictor.</summary>
    public string Compression { get; init; } = "DEFLATE";

    /// <summary>Reproject onto another grid (e.g. back onto the input raster's own grid); null writes EPSG:4326.</summary>
    public OutputGrid? Reproject { get; init; }

    /// <summary>Extra dataset metadata items (e.g. model name and version).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary>
/// A target grid for reprojected output: CRS plus extent and resolution or size. Unspecified extent or size are
/// derived by GDAL (gdalwarp's suggested output).
/// </summary>
public sealed record OutputGrid
{
    /// <summary>Target CRS, any definition GDAL accepts ("EPSG:8857", WKT, PROJ string).</summary>
    public required string Crs { get; init; }

    /// <summary>Outer extent in target CRS units.</summary>
    public GeoBounds? Bounds { get; init; }

    /// <summary>Pixel size in target CRS units (x, y); mutually exclusive with <see cref="Size"/>.</summary>
    public (double X, double Y)? Resolution { get; init; }

    /// <summary>Raster size in pixels (width, height); mutually exclusive with <see cref="Resolution"/>.</summary>
    public (int Width, int Height)? Size { get; init; }

    /// <summary>Kernel; null uses nearest for class maps and bilinear for continuous maps.</summary>
    public Resampling? Resampling { get; init; }

    /// <summary>The grid of an existing raster file (its CRS, extent and size).</summary>
    /// <exception cref="InvalidDataException">The raster has no geotransform or CRS.</exception>
    public static OutputGrid Like(string rasterPath)
    {
        using GdalDataset dataset = GdalDataset.Open(rasterPath);
        GeoTransform transform = dataset.GetGeoTransform()
            ?? throw new InvalidDataException($"'{rasterPath}' has no geotransform, so its grid cannot be matched.");
        using SpatialReference crs = dataset.GetSpatialReference()
            ?? throw new InvalidDataException($"'{rasterPath}' has no CRS, so its grid cannot be matched.");
        (double x0, double y0) = transform.PixelToGeo(0, 0);
        (double x1, double y1) = transform.PixelToGeo(dataset.Width, dataset.Height);
        return new OutputGrid
        {
            Crs = crs.ToWkt(),
            Bounds = new GeoBounds(Math.Min(x0, x1), Math.Min(y0, y1), Math.Max(x0, x1), Math.Max(y0, y1)),
            Size = (dataset.Width, dataset.Height),
        };
    }

    /// <summary>The grid of the raster an ingest read from (from its provenance), to write results back onto it.</summary>
    /// <exception cref="ArgumentException">The provenance lacks the CRS, bounds or size.</exception>
    public static OutputGrid FromProvenance(RasterProvenance provenance)
    {
        ArgumentNullException.ThrowIfNull(provenance);
        if (provenance.SourceCrsWkt is null || provenance.SourceBounds is null || provenance.SourceSize.Width <= 0)
        {
            throw new ArgumentException("The provenance has no source CRS, bounds or size to reproject onto.", nameof(provenance));
        }

        return new OutputGrid { Crs = provenance.SourceCrsWkt, Bounds = provenance.SourceBounds, Size = provenance.SourceSize };
    }
}
