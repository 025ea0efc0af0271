using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Disco.Geo.Engine;
using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Application.Stac;

/// <summary>One file of a prediction as a STAC asset: where it is, what it is, and (for written files) its size, hash and raster facts.</summary>
/// <param name="Key">The asset's key: "cog", "geotiff", "geojson" or "png".</param>
/// <param name="Href">A relative file name beside the Item, or a server URL.</param>
/// <param name="MediaType">The asset's media type.</param>
/// <param name="SizeBytes">The file's size, when the file exists.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file, when the file exists.</param>
/// <param name="Raster">What GDAL reads back from a written raster, if it is one.</param>
internal sealed record StacAsset(string Key, string Href, string MediaType, long? SizeBytes = null, string? Sha256 = null, RasterFileFacts? Raster = null);

/// <summary>
/// Finished predictions as STAC 1.0.0 Items with the projection, raster, classification and file extensions. Prediction
/// maps are global (the sphere grids cover the Earth): bbox and geometry are the written raster's footprint clipped to
/// the globe, which is the whole globe for every map the exporter writes today. The prediction record
/// holds no acquisition time of its input, so datetime is the prediction's creation time and
/// disco:datetime_source says so.
/// </summary>
internal static class PredictionStacItems
{
    public const string StacVersion = "1.0.0";
    public const string ProjectionExtension = "https://stac-extensions.github.io/projection/v1.1.0/schema.json";
    public const string RasterExtension = "https://stac-extensions.github.io/raster/v1.1.0/schema.json";
    public const string ClassificationExtension = "https://stac-extensions.github.io/classification/v1.1.0/schema.json";
    public const string FileExtension = "https://stac-extensions.github.io/file/v2.1.0/schema.json";

    /// <summary>The multihash prefix of SHA2-256 (function code 0x12, digest length 0x20), as file:checksum wants it.</summary>
    private const string Sha256Multihash = "1220";

    /// <summary>
    /// Builds the Item of a finished prediction with the given assets and links. <paramref name="tiles"/>, the XYZ URL
    /// template of the server's map tiles, goes to disco:tiles: a template is no valid link href.
    /// </summary>
    /// <remarks>
    /// With <paramref name="timeStep"/> (an export of one step of a time-stack prediction) the Item is that step's:
    /// id "&lt;prediction id&gt;-t&lt;step&gt;", datetime the step's timestamp (disco:datetime_source "input_time_step"),
    /// and only that step's bands.
    /// </remarks>
    public static JsonObject Build(PredictionRecord prediction, ModelRecord? model, IReadOnlyList<StacAsset> assets, IReadOnlyList<JsonObject> links, string? tiles = null,
        int? timeStep = null)
    {
        string created = prediction.CreateTime is { } time
            ? time.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)
            : "1970-01-01T00:00:00.000Z";
        JsonArray? classes = model is { Classes.Count: > 0 } ? Classes(model) : null;
        var properties = new JsonObject
        {
            ["title"] = prediction.Name,
            ["description"] = $"Prediction of model {ModelLabel(prediction, model)} on {prediction.InputDescription}.",
            ["datetime"] = created,
            ["created"] = created,
            ["disco:datetime_source"] = "prediction",
            ["disco:prediction_id"] = prediction.Id,
            ["disco:input"] = prediction.InputDescription,
            ["disco:model_id"] = prediction.ModelId,
            ["disco:model_name"] = model?.Name ?? "",
            ["disco:task"] = model?.Task ?? "",
            ["disco:grid"] = prediction.Grid is { } grid
                ? new JsonObject { ["kind"] = grid.Kind.ToString().ToLowerInvariant(), ["nlat"] = grid.Nlat, ["nlon"] = grid.Nlon }
                : null,
            ["disco:bands"] = new JsonArray([.. prediction.Bands.Select(b => (JsonNode)JsonValue.Create(b.Name))]),
        };
        string id = prediction.Id;
        if (timeStep is int step && step >= 0 && step < prediction.TimeSteps.Count)
        {
            int perStep = prediction.Bands.Count / prediction.TimeSteps.Count;
            string at = prediction.TimeSteps[step].ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            id = $"{prediction.Id}-t{step}";
            properties["title"] = $"{prediction.Name} at {at}";
            properties["datetime"] = at;
            properties["disco:datetime_source"] = "input_time_step";
            properties["disco:time_step"] = step;
            properties["disco:bands"] = new JsonArray([.. prediction.Bands.Skip(step * perStep).Take(perStep).Select(b => (JsonNode)JsonValue.Create(b.Name))]);
        }

        if (model is not null && Card(model.CardJson) is { } card)
        {
            properties["disco:model_card"] = card;
        }

        if (classes is not null)
        {
            properties["classification:classes"] = classes.DeepClone();
        }

        if (tiles is not null)
        {
            properties["disco:tiles"] = tiles;
        }

        var extensions = new SortedSet<string>(StringComparer.Ordinal);
        if (classes is not null)
        {
            extensions.Add(ClassificationExtension);
        }

        (double west, double south, double east, double north) = Bounds(assets);
        var assetObjects = new JsonObject();
        foreach (StacAsset asset in assets)
        {
            assetObjects[asset.Key] = Asset(asset, classes, extensions);
        }

        return new JsonObject
        {
            ["type"] = "Feature",
            ["stac_version"] = StacVersion,
            ["stac_extensions"] = new JsonArray([.. extensions.Select(e => (JsonNode)JsonValue.Create(e))]),
            ["id"] = id,
            ["collection"] = "predictions",
            ["bbox"] = new JsonArray(west, south, east, north),
            ["geometry"] = new JsonObject
            {
                ["type"] = "Polygon",
                ["coordinates"] = new JsonArray(new JsonArray(
                    new JsonArray(west, south), new JsonArray(east, south), new JsonArray(east, north), new JsonArray(west, north), new JsonArray(west, south))),
            },
            ["properties"] = properties,
            ["links"] = new JsonArray([.. links]),
            ["assets"] = assetObjects,
        };
    }

    /// <summary>
    /// The Item's bbox: the footprint of a written EPSG:4326 raster, clipped to the globe (node-centred cells of a
    /// global grid reach half a cell past the poles and span 360° from the grid's first longitude, which is the whole
    /// globe); without one, the whole globe, which every prediction map covers.
    /// </summary>
    private static (double West, double South, double East, double North) Bounds(IReadOnlyList<StacAsset> assets)
    {
        if (assets.Select(a => a.Raster).FirstOrDefault(r => r is { Epsg: 4326, Transform: { Length: 6 } t } && t[1] == 0 && t[3] == 0) is not { } raster)
        {
            return (-180, -90, 180, 90);
        }

        double[] t = raster.Transform!;
        double x0 = t[2], x1 = t[2] + (t[0] * raster.Width);
        double y0 = t[5], y1 = t[5] + (t[4] * raster.Height);
        double south = Math.Max(-90, Math.Min(y0, y1)), north = Math.Min(90, Math.Max(y0, y1));
        double west = Math.Min(x0, x1), east = Math.Max(x0, x1);
        if (east - west >= 360 || west < -180 || east > 180)
        {
            // A raster that wraps past the antimeridian (or spans it all) is not one box in -180..180: the whole width.
            (west, east) = (-180, 180);
        }

        return (west, south, east, north);
    }

    /// <summary>"sha2-256" multihash of a lower-case hex SHA-256, as file:checksum holds it.</summary>
    public static string Multihash(string sha256Hex) => Sha256Multihash + sha256Hex.ToLowerInvariant();

    private static JsonObject Asset(StacAsset asset, JsonArray? classes, SortedSet<string> extensions)
    {
        var json = new JsonObject
        {
            ["href"] = asset.Href,
            ["type"] = asset.MediaType,
            ["title"] = asset.Key switch
            {
                "cog" => "Cloud-Optimized GeoTIFF",
                "geotiff" => "GeoTIFF",
                "geojson" => "Class polygons (GeoJSON)",
                "png" => "Coloured preview (PNG)",
                _ => asset.Key,
            },
            ["roles"] = asset.Key == "png" ? new JsonArray("overview", "visual") : new JsonArray("data"),
        };
        if (asset.SizeBytes is { } size)
        {
            json["file:size"] = size;
            extensions.Add(FileExtension);
        }

        if (asset.Sha256 is { } sha256)
        {
            json["file:checksum"] = Multihash(sha256);
            extensions.Add(FileExtension);
        }

        if (asset.Raster is { } raster && asset.Key is "cog" or "geotiff")
        {
            json["proj:epsg"] = raster.Epsg;
            json["proj:shape"] = new JsonArray(raster.Height, raster.Width);
            if (raster.Transform is { } transform)
            {
                json["proj:transform"] = new JsonArray([.. transform.Select(v => (JsonNode)JsonValue.Create(v))]);
            }

            json["raster:bands"] = new JsonArray([.. raster.Bands.Select(band => (JsonNode)Band(band, classes))]);
            extensions.Add(ProjectionExtension);
            extensions.Add(RasterExtension);
        }

        if (classes is not null && asset.Key is "cog" or "geotiff" or "png" or "geojson")
        {
            json["classification:classes"] = classes.DeepClone();
        }

        return json;
    }

    private static JsonObject Band(RasterBandFacts band, JsonArray? classes)
    {
        var json = new JsonObject { ["data_type"] = band.DataType };
        if (band.NoData is { } nodata)
        {
            // JSON has no NaN or infinities; the raster extension spells them as strings.
            json["nodata"] = double.IsNaN(nodata) ? "nan" : double.IsPositiveInfinity(nodata) ? "inf" : double.IsNegativeInfinity(nodata) ? "-inf" : nodata;
        }

        if (classes is not null && band.DataType is not ("float32" or "float64"))
        {
            json["classification:classes"] = classes.DeepClone();
        }

        return json;
    }

    private static JsonArray Classes(ModelRecord model) => new([.. model.Classes.Select(c =>
    {
        var json = new JsonObject { ["value"] = c.Id, ["name"] = c.Name, ["description"] = c.Name };
        string hint = c.Color.TrimStart('#');
        if (hint.Length == 6 && hint.All(char.IsAsciiHexDigit))
        {
            json["color_hint"] = hint.ToUpperInvariant();
        }

        return (JsonNode)json;
    })]);

    /// <summary>The model card as JSON, or null when it is not a JSON object (an imported package may carry anything).</summary>
    private static JsonObject? Card(string cardJson)
    {
        if (string.IsNullOrWhiteSpace(cardJson))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(cardJson) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string ModelLabel(PredictionRecord prediction, ModelRecord? model) =>
        model is { Name.Length: > 0 } ? $"{model.Name} ({prediction.ModelId})" : prediction.ModelId;

    /// <summary>A link object.</summary>
    public static JsonObject Link(string rel, string href, string type, string? title = null)
    {
        var link = new JsonObject { ["rel"] = rel, ["href"] = href, ["type"] = type };
        if (title is not null)
        {
            link["title"] = title;
        }

        return link;
    }
}
