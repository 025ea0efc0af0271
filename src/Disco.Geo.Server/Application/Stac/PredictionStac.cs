using System.Text.Json;
using System.Text.Json.Nodes;
using Disco.Geo.Engine;
using Disco.Geo.Server.Application.Exports;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Application.Stac;

/// <summary>A page of STAC Items and the prediction id to continue after, or null on the last page.</summary>
internal sealed record StacItemPage(IReadOnlyList<JsonObject> Items, string? NextAfter);

/// <summary>
/// The STAC view of finished predictions: the Item written beside an export (assets are the exported files, with
/// their size, checksum and what GDAL reads back), and the Items the /stac routes list (assets are server URLs that
/// export on request, so they carry no checksum).
/// </summary>
internal sealed class PredictionStac(ICatalog catalog, IRasterFileInspector inspector)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The asset key and media type of an export format name ("cog", "geotiff", "geojson", "png").</summary>
    public static (string Key, string MediaType) AssetOf(string format) => format switch
    {
        "cog" => ("cog", "image/tiff; application=geotiff; profile=cloud-optimized"),
        "geotiff" => ("geotiff", "image/tiff; application=geotiff"),
        "geojson" => ("geojson", "application/geo+json"),
        "png" => ("png", "image/png"),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown export format."),
    };

    /// <summary>
    /// The Item of one exported file: <paramref name="path"/> is the written file (read back with GDAL when it is a
    /// GeoTIFF), <paramref name="file"/> its name, size and hash; the asset's href is the file's name, relative to
    /// the Item saved beside it.
    /// </summary>
    public async Task<string> DescribeExportAsync(string predictionId, string format, string path, ExportedFile file, CancellationToken cancellationToken, int? timeStep = null)
    {
        PredictionRecord prediction = await catalog.FindPredictionAsync(predictionId, cancellationToken)
            ?? throw new InvalidOperationException($"Prediction {predictionId} vanished during its export.");
        ModelRecord? model = await catalog.FindModelAsync(prediction.ModelId, cancellationToken);
        (string key, string mediaType) = AssetOf(format);
        RasterFileFacts? raster = key is "cog" or "geotiff" ? await Task.Run(() => inspector.Inspect(path), cancellationToken) : null;
        var asset = new StacAsset(key, "./" + file.FileName, mediaType, file.SizeBytes, file.Sha256, raster);
        return PredictionStacItems.Build(prediction, model, [asset], [], timeStep: timeStep).ToJsonString(Indented);
    }

    /// <summary>The Item of a finished prediction served at <paramref name="baseUrl"/>, or null when there is none.</summary>
    public async Task<JsonObject?> FindItemAsync(string predictionId, string baseUrl, CancellationToken cancellationToken)
    {
        if (!Ids.IsId(Ids.Prediction, predictionId)
            || await catalog.FindPredictionAsync(predictionId, cancellationToken) is not { State: PredictionRecordState.Succeeded } prediction)
        {
            return null;
        }

        return await ServedItemAsync(prediction, baseUrl, cancellationToken);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> finished predictions after the prediction id <paramref name="after"/>, oldest
    /// first. Unfinished and failed predictions are skipped, so a page may hold fewer items than the limit.
    /// </summary>
    public async Task<StacItemPage> ListItemsAsync(string? after, int limit, string baseUrl, CancellationToken cancellationToken)
    {
        RecordPage<PredictionRecord> page = await catalog.ListPredictionsAsync(new CatalogQuery(after, limit), cancellationToken);
        var items = new List<JsonObject>();
        foreach (PredictionRecord prediction in page.Items.Where(p => p.State == PredictionRecordState.Succeeded))
        {
            items.Add(await ServedItemAsync(prediction, baseUrl, cancellationToken));
        }

        return new StacItemPage(items, page.More && page.Items.Count > 0 ? page.Items[^1].Id : null);
    }

    private async Task<JsonObject> ServedItemAsync(PredictionRecord prediction, string baseUrl, CancellationToken cancellationToken)
    {
        ModelRecord? model = await catalog.FindModelAsync(prediction.ModelId, cancellationToken);
        string itemUrl = $"{baseUrl}/stac/collections/predictions/items/{prediction.Id}";
        List<StacAsset> assets = [];
        foreach (string format in AssetFormats(model))
        {
            (string key, string mediaType) = AssetOf(format);
            assets.Add(new StacAsset(key, $"{itemUrl}/assets/{key}", mediaType));
        }

        return PredictionStacItems.Build(prediction, model, assets,
        [
            PredictionStacItems.Link("self", itemUrl, "application/geo+json"),
            PredictionStacItems.Link("parent", $"{baseUrl}/stac/collections/predictions", "application/json"),
            PredictionStacItems.Link("collection", $"{baseUrl}/stac/collections/predictions", "application/json"),
            PredictionStacItems.Link("root", $"{baseUrl}/stac", "application/json"),
        ], $"{baseUrl}/tiles/{prediction.Id}/WebMercatorQuad/{{z}}/{{x}}/{{y}}.png");
    }

    /// <summary>The files the server makes of a prediction: class polygons only when the model has classes.</summary>
    public static IReadOnlyList<string> AssetFormats(ModelRecord? model) =>
        model is { Classes.Count: > 0 } ? ["cog", "geojson", "png"] : ["cog", "png"];
}
