using System.Globalization;
using System.Text.Json.Nodes;
using Disco.Geo.Engine;
using Disco.Geo.Server.Application.Exports;
using Disco.Geo.Server.Application.Predictions;
using Disco.Geo.Server.Application.Stac;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;

namespace Disco.Geo.Server.Stac;

/// <summary>
/// A read-only STAC API over finished predictions, on the HTTP port beside /tiles and behind the same API key
/// (HttpApiKeyMiddleware guards every non-gRPC route but /healthz):
/// <list type="bullet">
/// <item>GET /stac: the landing page (a Catalog) linking to the collection.</item>
/// <item>GET /stac/collections and /stac/collections/predictions: the one Collection, "predictions".</item>
/// <item>GET /stac/collections/predictions/items?limit=N&amp;token=T: an ItemCollection, oldest first, with a "next" link while more follow.</item>
/// <item>GET /stac/collections/predictions/items/{id}: one Item; 404 for an unknown or unfinished prediction.</item>
/// <item>GET /stac/collections/predictions/items/{id}/assets/{cog|geojson|png}: the file, exported on request.</item>
/// </list>
/// </summary>
internal static class StacEndpoints
{
    public const string Root = "/stac";
    public const string CollectionId = "predictions";
    public const int DefaultLimit = 10;
    public const int MaxLimit = 100;

    private const string GeoJson = "application/geo+json";
    private const string Json = "application/json";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(Root, (HttpContext context) => JsonResult(LandingPage(BaseUrl(context)), Json));
        app.MapGet(Root + "/collections", (HttpContext context) =>
        {
            string baseUrl = BaseUrl(context);
            return JsonResult(new JsonObject
            {
                ["collections"] = new JsonArray(Collection(baseUrl)),
                ["links"] = new JsonArray(PredictionStacItems.Link("self", $"{baseUrl}{Root}/collections", Json), PredictionStacItems.Link("root", baseUrl + Root, Json)),
            }, Json);
        });
        app.MapGet($"{Root}/collections/{CollectionId}", (HttpContext context) => JsonResult(Collection(BaseUrl(context)), Json));
        app.MapGet($"{Root}/collections/{CollectionId}/items", ListItemsAsync);
        app.MapGet($"{Root}/collections/{CollectionId}/items/{{predictionId}}", GetItemAsync);
        app.MapGet($"{Root}/collections/{CollectionId}/items/{{predictionId}}/assets/{{asset}}", GetAssetAsync);
    }

    private static async Task<IResult> ListItemsAsync(HttpContext context, PredictionStac stac, CancellationToken cancellationToken)
    {
        int limit = DefaultLimit;
        string? limitText = context.Request.Query["limit"];
        if (limitText is not null && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxLimit))
        {
            return Text(400, $"limit must be an integer between 1 and {MaxLimit}.\n");
        }

        string? token = context.Request.Query["token"];
        if (token is not null && !Ids.IsId(Ids.Prediction, token))
        {
            return Text(400, "token must be the value of a previous page's next link.\n");
        }

        string baseUrl = BaseUrl(context);
        StacItemPage page = await stac.ListItemsAsync(token, limit, baseUrl, cancellationToken);
        string itemsUrl = $"{baseUrl}{Root}/collections/{CollectionId}/items";
        var links = new JsonArray(
            PredictionStacItems.Link("self", token is null ? $"{itemsUrl}?limit={limit}" : $"{itemsUrl}?limit={limit}&token={token}", GeoJson),
            PredictionStacItems.Link("root", baseUrl + Root, Json),
            PredictionStacItems.Link("collection", $"{baseUrl}{Root}/collections/{CollectionId}", Json));
        if (page.NextAfter is { } next)
        {
            links.Add(PredictionStacItems.Link("next", $"{itemsUrl}?limit={limit}&token={next}", GeoJson));
        }

        return JsonResult(new JsonObject
        {
            ["type"] = "FeatureCollection",
            ["features"] = new JsonArray([.. page.Items]),
            ["links"] = links,
            ["numberReturned"] = page.Items.Count,
        }, GeoJson);
    }

    private static async Task<IResult> GetItemAsync(string predictionId, HttpContext context, PredictionStac stac, CancellationToken cancellationToken) =>
        await stac.FindItemAsync(predictionId, BaseUrl(context), cancellationToken) is { } item
            ? JsonResult(item, GeoJson)
            : NoItem(predictionId);

    private static async Task<IResult> GetAssetAsync(
        string predictionId, string asset, IPredictionMaps maps, IPredictionExporter exporter, DataDirectory directory, HttpContext context, CancellationToken cancellationToken)
    {
        if (asset is not ("cog" or "geojson" or "png"))
        {
            return Text(404, $"No asset '{ClientText.Shorten(asset)}'; the assets are cog, geojson and png.\n");
        }

        PredictionMap? map;
        try
        {
            map = Ids.IsId(Ids.Prediction, predictionId) ? await maps.FindFinishedAsync(predictionId, cancellationToken) : null;
        }
        catch (ProblemException)
        {
            // Not finished yet: not an Item either.
            map = null;
        }

        if (map is null)
        {
            return NoItem(predictionId);
        }

        ExportFileFormat format = asset switch { "geojson" => ExportFileFormat.GeoJson, "png" => ExportFileFormat.Png, _ => ExportFileFormat.Cog };
        string temp = directory.NewTempPath("." + asset);
        string contentType;
        try
        {
            contentType = await exporter.ExportAsync(map, format, 0, 0, temp, cancellationToken);
        }
        catch (EngineInputException e)
        {
            ExportedFileStreaming.Delete(temp);
            return Text(409, e.Message + "\n");
        }
        catch
        {
            ExportedFileStreaming.Delete(temp);
            throw;
        }

        // The sidecar is not served (the Item carries the class names). The file's name goes as soon as it is open: the
        // open stream keeps its data readable, and nothing is left in the temporary directory even while (or if) the
        // response is still being sent; deleting on close left it there until after the client had the whole body.
        File.Delete(ExportedFileStreaming.SidecarOf(temp));
        var stream = new FileStream(temp, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 0, FileOptions.Asynchronous);
        File.Delete(temp);
        string extension = asset switch { "geojson" => ".geojson", "png" => ".png", _ => ".tif" };
        return Results.File(stream, contentType, predictionId + extension);
    }

    private static JsonObject LandingPage(string baseUrl) => new()
    {
        ["type"] = "Catalog",
        ["stac_version"] = PredictionStacItems.StacVersion,
        ["id"] = "disco",
        ["title"] = "Disco.Geo predictions",
        ["description"] = "Finished predictions of this Disco.Geo server as STAC Items.",
        ["conformsTo"] = new JsonArray("https://api.stacspec.org/v1.0.0/core", "https://api.stacspec.org/v1.0.0/collections", "https://api.stacspec.org/v1.0.0/ogcapi-features"),
        ["links"] = new JsonArray(
            PredictionStacItems.Link("self", baseUrl + Root, Json),
            PredictionStacItems.Link("root", baseUrl + Root, Json),
            PredictionStacItems.Link("data", $"{baseUrl}{Root}/collections", Json),
            PredictionStacItems.Link("child", $"{baseUrl}{Root}/collections/{CollectionId}", Json, "Predictions")),
    };

    private static JsonObject Collection(string baseUrl) => new()
    {
        ["type"] = "Collection",
        ["stac_version"] = PredictionStacItems.StacVersion,
        ["id"] = CollectionId,
        ["title"] = "Predictions",
        ["description"] = "Finished prediction maps: class maps or values on the whole globe, one Item per prediction.",
        ["license"] = "proprietary",
        ["extent"] = new JsonObject
        {
            ["spatial"] = new JsonObject { ["bbox"] = new JsonArray(new JsonArray(-180.0, -90.0, 180.0, 90.0)) },
            ["temporal"] = new JsonObject { ["interval"] = new JsonArray(new JsonArray(null, null)) },
        },
        ["links"] = new JsonArray(
            PredictionStacItems.Link("self", $"{baseUrl}{Root}/collections/{CollectionId}", Json),
            PredictionStacItems.Link("root", baseUrl + Root, Json),
            PredictionStacItems.Link("parent", baseUrl + Root, Json),
            PredictionStacItems.Link("items", $"{baseUrl}{Root}/collections/{CollectionId}/items", GeoJson)),
    };

    private static IResult NoItem(string predictionId) =>
        Text(404, $"No finished prediction '{ClientText.Shorten(predictionId)}'.{Problem.ListHint("prediction")}\n");

    private static string BaseUrl(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";

    private static IResult JsonResult(JsonObject json, string contentType) => Results.Text(json.ToJsonString(), contentType + "; charset=utf-8");

    private static IResult Text(int status, string message) => Results.Text(message, "text/plain; charset=utf-8", statusCode: status);
}
