using System.Globalization;
using Disco.Geo.Gdal;
using Disco.Geo.Gdal.Utilities;
using Disco.Geo.Grids;

namespace Disco.Geo.Raster.Ingest;

/// <summary>How <see cref="PolygonRasterizer"/> turns polygons into labels.</summary>
public sealed record PolygonRasterizeOptions
{
    /// <summary>Layer name (null = the first layer).</summary>
    public string? Layer { get; init; }

    /// <summary>For a file the caller does not trust: the files it may consist of (see <see cref="RasterSource.Sandbox"/>).</summary>
    public SourceSandbox? Sandbox { get; init; }

    /// <summary>OGR SQL filter on the features, e.g. "continent = 'Africa'".</summary>
    public string? Where { get; init; }

    /// <summary>
    /// Integer attribute burnt as class id (e.g. a continent code); null burns 1 inside every polygon (a presence mask such
    /// as land/water).
    /// </summary>
    public string? ClassField { get; init; }

    /// <summary>Fine raster cells per grid cell along each axis before aggregation. Default 8.</summary>
    public int Supersampling { get; init; } = 8;

    /// <summary>Presence masks: the fraction of a node's cell that must be covered for label 1. Default 0.5.</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>Largest fine raster (width × height). Default 64 M cells.</summary>
    public long MaxFinePixels { get; init; } = 64L << 20;
}

/// <summary>
/// Polygons (e.g. Natural Earth land) onto a sphere grid as labels, area-based: GDALRasterize burns them into a global
/// EPSG:4326 raster <see cref="PolygonRasterizeOptions.Supersampling"/> times finer than the grid, which is then
/// aggregated over each node's cell by the ingest warp. For presence masks the result has two bands: "fraction" (share
/// of the cell covered, an input) and "label" (1 where the fraction reaches the threshold, else 0); with a class field,
/// one band "label" holding the most frequent class id of the cell (0 where no polygon).
/// </summary>
public sealed class PolygonRasterizer
{
    /// <summary>Rasterises a vector file (Shapefile, GeoJSON, GeoPackage, …) with lon/lat coordinates.</summary>
    /// <exception cref="InvalidDataException">The layer is not in geographic coordinates, or the fine raster would be too large.</exception>
    /// <exception cref="GdalException">GDAL cannot read the file or rejects the filter.</exception>
    public Task<SphereRaster> RasterizeAsync(string vectorPath, SphereGrid grid, PolygonRasterizeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(vectorPath);
        ArgumentNullException.ThrowIfNull(grid);
        return Task.Run(() => Rasterize(vectorPath, grid, options ?? new PolygonRasterizeOptions(), cancellationToken), cancellationToken);
    }

    private static SphereRaster Rasterize(string vectorPath, SphereGrid grid, PolygonRasterizeOptions options, CancellationToken cancellationToken)
    {
        if (options.Supersampling is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Supersampling, "Supersampling must be within 1..64.");
        }

        using GdalDataset vector = SandboxedOpen.Open(vectorPath, GdalOpenKind.Vector, options.Sandbox);
        if (vector.LayerCount == 0)
        {
            throw new InvalidDataException($"'{vectorPath}' has no vector layers.");
        }

        OgrLayer layer = options.Layer is null ? vector.GetLayer(0) : FindLayer(vector, options.Layer);
        using (SpatialReference? crs = layer.GetSpatialReference())
        {
            if (crs is not null && !crs.IsGeographic)
            {
                throw new InvalidDataException(
                    $"Layer '{layer.Name}' of '{vectorPath}' is in {crs}, not longitude/latitude; reproject it first (ogr2ogr -t_srs EPSG:4326).");
            }
        }

        if (options.ClassField is not null && layer.Fields.All(f => f.Name != options.ClassField))
        {
            throw new ArgumentException(
                $"Layer '{layer.Name}' has no field '{options.ClassField}'; its fields are {string.Join(", ", layer.Fields.Select(f => f.Name))}.", nameof(options));
        }

        double cell = Math.Min(grid.LonStepDegrees, 180.0 / grid.NLat) / options.Supersampling;
        int width = (int)Math.Ceiling(360 / cell);
        int height = (int)Math.Ceiling(180 / cell);
        if ((long)width * height > options.MaxFinePixels)
        {
            throw new InvalidDataException(
                $"Rasterising at {options.Supersampling}x the grid needs {width}x{height} cells, more than {options.MaxFinePixels:N0}; lower Supersampling or raise MaxFinePixels.");
        }

        List<string> arguments =
        [
            "-of", "MEM", "-te", "-180", "-90", "180", "90",
            "-ts", width.ToString(CultureInfo.InvariantCulture), height.ToString(CultureInfo.InvariantCulture),
            "-init", "0", "-l", layer.Name,
        ];
        arguments.AddRange(options.ClassField is null ? ["-burn", "1", "-ot", "Byte"] : ["-a", options.ClassField, "-ot", "Int32"]);
        if (options.Where is not null)
        {
            arguments.AddRange(["-where", options.Where]);
        }

        GdalDataset fine = GdalUtilities.Rasterize(vector, string.Empty, arguments, cancellationToken);
        try
        {
            using SpatialReference? existing = fine.GetSpatialReference();
            if (existing is null)
            {
                using SpatialReference wgs84 = SpatialReference.Wgs84();
                fine.SetSpatialReference(wgs84);
            }
        }
        catch
        {
            fine.Dispose();
            throw;
        }

        using PreparedSource prepared = PreparedSource.FromDataset(fine, [vectorPath], null, null, RasterLimits.Default, cancellationToken);
        string note = $"polygons of layer '{layer.Name}' rasterised at {width}x{height} ({options.Supersampling}x the grid) and aggregated per cell";
        if (options.ClassField is not null)
        {
            RasterIngestOptions classes = new() { Bands = [new BandSelection(1, BandRole.Label, "label", Resampling.Mode)] };
            return RasterIngestor.Resample(prepared, grid, classes, null, [note], cancellationToken);
        }

        RasterIngestOptions presence = new() { Bands = [new BandSelection(1, BandRole.Input, "fraction", Resampling.Average)] };
        SphereRaster fraction = RasterIngestor.Resample(prepared, grid, presence, null, [note], cancellationToken);
        int nodes = (int)grid.NodeCount;
        float[] data = new float[2 * nodes];
        fraction.Band(0).CopyTo(data);
        for (int k = 0; k < nodes; k++)
        {
            data[nodes + k] = fraction.Valid[k] && data[k] >= options.Threshold ? 1f : 0f;
        }

        RasterBandInfo[] bands = [fraction.Bands[0], new RasterBandInfo("label", BandRole.Label, Resampling.Average)];
        return new SphereRaster(grid, data, bands, fraction.Valid, fraction.Provenance);
    }

    private static OgrLayer FindLayer(GdalDataset vector, string name)
    {
        for (int i = 0; i < vector.LayerCount; i++)
        {
            OgrLayer layer = vector.GetLayer(i);
            if (layer.Name == name)
            {
                return layer;
            }
        }

        throw new ArgumentException(
            $"'{vector.Path}' has no layer '{name}'; its layers are {string.Join(", ", Enumerable.Range(0, vector.LayerCount).Select(i => vector.GetLayer(i).Name))}.",
            nameof(name));
    }
}
