using Disco.Geo.Gdal;

namespace Disco.Geo.Raster.Ingest;

/// <summary>One band of a source raster as <see cref="RasterInspector"/> reports it.</summary>
/// <param name="Index">1-based band number (what <see cref="BandSelection.SourceBand"/> takes).</param>
/// <param name="Description">Band description, or empty.</param>
/// <param name="DataType">Pixel type.</param>
/// <param name="ColorInterpretation">Colour role (red, alpha, palette, …).</param>
/// <param name="NoData">Nodata value, if any.</param>
/// <param name="Unit">Unit, or empty.</param>
/// <param name="HasColorTable">True for palette bands (often class maps).</param>
public sealed record SourceBandInfo(int Index, string Description, GdalDataType DataType, ColorInterpretation ColorInterpretation, double? NoData,
    string Unit, bool HasColorTable);

/// <summary>What a raster file holds, before ingesting it (to choose bands and roles).</summary>
/// <param name="Path">The path or connection string.</param>
/// <param name="Driver">GDAL driver short name.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Crs">CRS as an authority id or name, or null when the file has none.</param>
/// <param name="Bounds">Outer bounds in the CRS, or null without a geotransform.</param>
/// <param name="Bands">The bands.</param>
/// <param name="Subdatasets">GDAL connection strings of the variables of a container (NetCDF, HDF), to ingest one of them.</param>
public sealed record SourceInfo(string Path, string Driver, int Width, int Height, string? Crs, GeoBounds? Bounds, IReadOnlyList<SourceBandInfo> Bands,
    IReadOnlyList<string> Subdatasets);

/// <summary>Describes a raster's size, CRS, bounds and bands without reading its pixels.</summary>
public static class RasterInspector
{
    /// <summary>Reads the metadata of a raster (file or GDAL connection string).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <param name="path">The file or connection string.</param>
    /// <param name="sandbox">For a file the caller does not trust: the files it may consist of (see <see cref="RasterSource.Sandbox"/>).</param>
    /// <exception cref="GdalException">GDAL cannot open it.</exception>
    /// <exception cref="SourceContainmentException">The file refers to a file outside <paramref name="sandbox"/>.</exception>
    public static SourceInfo Inspect(string path, SourceSandbox? sandbox = null)
    {
        using GdalDataset dataset = SandboxedOpen.Open(path, GdalOpenKind.Raster, sandbox);
        return Describe(dataset, path);
    }

    /// <summary>
    /// The one description of an open raster: <see cref="Inspect"/> and the classification of ingest sources
    /// (<see cref="IngestSource"/>) both read it, so a source is opened once to be described and checked.
    /// </summary>
    internal static SourceInfo Describe(GdalDataset dataset, string path)
    {
        using SpatialReference? crs = dataset.GetSpatialReference();
        GeoBounds? bounds = null;
        if (dataset.GetGeoTransform() is { IsAxisAligned: true } transform)
        {
            (double x0, double y0) = transform.PixelToGeo(0, 0);
            (double x1, double y1) = transform.PixelToGeo(dataset.Width, dataset.Height);
            bounds = new GeoBounds(Math.Min(x0, x1), Math.Min(y0, y1), Math.Max(x0, x1), Math.Max(y0, y1));
        }

        List<SourceBandInfo> bands = [];
        for (int b = 1; b <= dataset.BandCount; b++)
        {
            GdalBand band = dataset.GetBand(b);
            bands.Add(new SourceBandInfo(b, band.Description, band.DataType, band.ColorInterpretation, band.NoDataValue, band.Unit,
                band.GetColorTable() is not null));
        }

        return new SourceInfo(path, dataset.DriverName, dataset.Width, dataset.Height, crs?.ToString(), bounds, bands, Subdatasets(dataset));
    }

    /// <summary>GDAL connection strings of the variables of a container (NetCDF, HDF), in the file's order.</summary>
    internal static string[] Subdatasets(GdalDataset dataset) => dataset.GetMetadata("SUBDATASETS")
        .Where(item => item.Contains("_NAME=", StringComparison.Ordinal))
        .Select(item => item[(item.IndexOf('=', StringComparison.Ordinal) + 1)..])
        .ToArray();
}
