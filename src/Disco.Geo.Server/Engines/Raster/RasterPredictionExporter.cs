using System.Diagnostics;
using System.Text.Json;
using Disco.Geo.Protos.V1;
using Disco.Geo.Raster;
using Disco.Geo.Raster.Outputs;
using Disco.Geo.Raster.Rendering;
using Disco.Geo.Server.Options;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Engines.Raster;

/// <summary>
/// <see cref="IPredictionExporter"/> on Disco.Geo.Raster:
/// <list type="bullet">
/// <item>GeoTIFF and COG in EPSG:4326 on Disco.Geo.Raster's RegularLayout (one pixel per node for equiangular and
/// equirectangular grids; rows resampled where latitudes are not equispaced). Class maps are Byte/UInt16 with the model's class colours as colour table;
/// everything else is float32 (nodata NaN) with one described band per map band. Category names and the raster
/// attribute table cannot live inside a TIFF: GDAL writes them to the .aux.xml sidecar left beside the output, which
/// the service sends inline (FileMetadata.aux_xml). The class names are also written as the dataset metadata item
/// DISCO_CLASSES (JSON: id, name, colour) together with DISCO_PREDICTION, DISCO_MODEL and DISCO_TASK.</item>
/// <item>GeoJSON: polygons of the class map (or of the most probable class of a probability map), with class id,
/// name and ellipsoidal area in km²; maps without classes are refused.</item>
/// <item>PNG: the colour-mapped preview of <see cref="LoadedPredictionMap"/>: without a size, the COG's pixels (the same
/// layout, one pixel per node where the grid allows it); with a size, a global equirectangular image of that size.</item>
/// </list>
/// Gridded datasets are exported the same way (<see cref="IDatasetExporter"/>): one described band per dataset band.
/// A requested width and/or height gives a regular global raster of that size (the other side follows 2:1 when 0).
/// </summary>
internal sealed class RasterPredictionExporter(PredictionMapCache cache, IOptions<LimitsOptions> limits, ILogger<RasterPredictionExporter> logger) : IPredictionExporter, IDatasetExporter
{
    private const int MaxPngWidth = 16384;

    public async Task<string> ExportAsync(PredictionMap map, ExportFormat format, int width, int height, string outputPath, CancellationToken cancellationToken)
    {
        if (width < 0 || height < 0)
        {
            throw new EngineInputException("Width and height must be 0 (the grid's own) or positive.");
        }

        Stopwatch clock = Stopwatch.StartNew();
        LoadedPredictionMap loaded = await cache.GetAsync(map, cancellationToken);
        string contentType = format switch
        {
            ExportFormat.Geotiff or ExportFormat.Cog => await WriteGeoTiffAsync(map, loaded, format == ExportFormat.Cog, width, height, outputPath, cancellationToken),
            ExportFormat.Geojson => await WriteGeoJsonAsync(loaded, outputPath, cancellationToken),
            ExportFormat.Png => await WritePngAsync(loaded, width, height, outputPath, cancellationToken),
            _ => throw new EngineInputException($"Export format {format} is not supported; use geotiff, cog, geojson or png."),
        };
        logger.LogInformation("Exported prediction {PredictionId} as {Format} ({Bytes} bytes) in {Milliseconds} ms",
            map.PredictionId, format, new FileInfo(outputPath).Length, clock.ElapsedMilliseconds);
        return contentType;
    }

    private async Task<string> WriteGeoTiffAsync(PredictionMap map, LoadedPredictionMap loaded, bool cog, int width, int height, string outputPath, CancellationToken cancellationToken)
    {
        (int Width, int Height)? size = (width, height) switch
        {
            (0, 0) => null,
            (_, 0) => (width, Math.Max(1, width / 2)),
            (0, _) => (2 * height, height),
            _ => (width, height),
        };
        if (size is { } s && (long)s.Width * s.Height * loaded.Values.BandCount > limits.Value.MaxRasterPixels)
        {
            throw new EngineInputException(
                $"A {s.Width}x{s.Height} raster of {loaded.Values.BandCount} band(s) exceeds the server's limit of {limits.Value.MaxRasterPixels} values (Limits:MaxRasterPixels); ask for a smaller size.");
        }

        var metadata = new Dictionary<string, string>
        {
            ["DISCO_PREDICTION"] = map.PredictionId,
            ["DISCO_MODEL"] = map.Model.Name.Length > 0 ? $"{map.Model.Name} ({map.Model.Id})" : map.Model.Id,
        };
        if (map.Model.Task.Length > 0)
        {
            metadata["DISCO_TASK"] = map.Model.Task;
        }

        if (loaded.IsClassMap)
        {
            metadata["DISCO_CLASSES"] = JsonSerializer.Serialize(loaded.Classes!.Select(c => new { id = c.Id, name = c.Name, color = $"#{c.Red:x2}{c.Green:x2}{c.Blue:x2}" }));
        }

        var options = new GeoTiffOptions
        {
            Classes = loaded.IsClassMap ? loaded.Classes : null,
            DataType = loaded.IsClassMap ? OutputDataType.Auto : OutputDataType.Float32,
            Metadata = metadata,
            Reproject = size is null ? null : new OutputGrid { Crs = "EPSG:4326", Bounds = GeoBounds.World, Size = size },
        };
        // GDAL's sidecar (category names, attribute table) lands beside the file; the service streams it inline.
        return await WriteTiffAsync(loaded.Values, options, cog, outputPath, cancellationToken);
    }

    public async Task<string> ExportAsync(Dataset dataset, string tensorPath, bool cog, string outputPath, CancellationToken cancellationToken)
    {
        Stopwatch clock = Stopwatch.StartNew();
        // A gridded dataset is stored like a prediction map (a tensor file of its grid and bands); no model styles it.
        LoadedPredictionMap loaded = await Task.Run(
            () => LoadedPredictionMap.Load(new PredictionMap(dataset.Id, tensorPath, dataset.Grid, dataset.Bands, new Model()), cancellationToken), cancellationToken);
        SphereRaster values = loaded.Values;
        if ((long)values.Grid.NodeCount * values.BandCount > limits.Value.MaxRasterPixels)
        {
            throw new EngineInputException(
                $"Dataset '{dataset.Name}' has {values.BandCount} band(s) of {values.Grid.NodeCount} nodes, more than the server's limit of {limits.Value.MaxRasterPixels} values per raster (Limits:MaxRasterPixels).");
        }

        var options = new GeoTiffOptions
        {
            // Label-only datasets become class maps (Byte/UInt16 with categories); anything else float32 with the
            // label bands' categories attached to them.
            DataType = values.Bands.All(b => b.Role == Disco.Geo.Raster.BandRole.Label) ? OutputDataType.Auto : OutputDataType.Float32,
            Metadata = new Dictionary<string, string> { ["DISCO_DATASET"] = $"{dataset.Name} ({dataset.Id})" },
        };
        string contentType = await WriteTiffAsync(values, options, cog, outputPath, cancellationToken);
        logger.LogInformation("Exported dataset {DatasetId} as {Format} ({Bytes} bytes) in {Milliseconds} ms",
            dataset.Id, cog ? "COG" : "GeoTIFF", new FileInfo(outputPath).Length, clock.ElapsedMilliseconds);
        return contentType;
    }

    private static async Task<string> WriteTiffAsync(SphereRaster values, GeoTiffOptions options, bool cog, string outputPath, CancellationToken cancellationToken)
    {
        if (cog)
        {
            await GeoTiffWriter.WriteCogAsync(values, outputPath, options, cancellationToken);
        }
        else
        {
            await GeoTiffWriter.WriteGeoTiffAsync(values, outputPath, options, cancellationToken);
        }

        return cog ? "image/tiff; application=geotiff; profile=cloud-optimized" : "image/tiff; application=geotiff";
    }

    private static async Task<string> WriteGeoJsonAsync(LoadedPredictionMap loaded, string outputPath, CancellationToken cancellationToken)
    {
        if (!loaded.HasClasses)
        {
            throw new EngineInputException(
                "GeoJSON export traces class polygons, but this prediction holds continuous values without classes; export it as geotiff, cog or png.");
        }

        await ClassPolygons.WriteGeoJsonAsync(loaded.Display, outputPath, new ClassPolygonOptions { Classes = loaded.Classes }, cancellationToken);
        return "application/geo+json";
    }

    private static async Task<string> WritePngAsync(LoadedPredictionMap loaded, int width, int height, string outputPath, CancellationToken cancellationToken)
    {
        if (width > 0 && height > 0 && width != 2 * height)
        {
            throw new EngineInputException($"A PNG preview is a global equirectangular image, twice as wide as high; {width}x{height} is not. Give only the width (or the height).");
        }

        int? pixels = width > 0 ? width : height > 0 ? 2 * height : null;
        if (pixels is < 2 or > MaxPngWidth || (pixels is null && loaded.Display.Grid.NLon > MaxPngWidth))
        {
            throw new EngineInputException($"A PNG preview is 2..{MaxPngWidth} pixels wide; {pixels ?? loaded.Display.Grid.NLon} was asked for.");
        }

        // Without a size the PNG has the COG's pixels (one per node where the grid allows it); with one it is a
        // resampled global preview of that size.
        byte[] png = await Task.Run(
            () => pixels is null
                ? MapRenderer.RenderLayoutPng(loaded.Display, loaded.ColorMap, 0, cancellationToken)
                : MapRenderer.RenderPng(loaded.Display, loaded.ColorMap, 0, pixels, cancellationToken),
            cancellationToken);
        await File.WriteAllBytesAsync(outputPath, png, cancellationToken);
        return "image/png";
    }
}
