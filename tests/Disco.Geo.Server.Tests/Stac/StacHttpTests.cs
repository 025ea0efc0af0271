using System.Net;
using System.Text.Json.Nodes;
using Disco.Geo.Client;
using Disco.Geo.Gdal;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests.Stac;

/// <summary>
/// The /stac routes on a real server socket with an API key configured: landing page and collection, paged
/// ItemCollection of finished predictions, single Items, served assets, 401 without the key and 404 for unknown ids.
/// </summary>
public sealed class StacHttpTests() : ServerTests("stac-http", settings: ["--api-key", Key])
{
    private const string Key = "stac-test-key-0123456789";

    private const string Items = "/stac/collections/predictions/items";

    [Fact]
    public async Task Items_page_with_limit_and_next_links_validate_and_serve_their_assets_and_unknown_ids_are_404()
    {
        using DiscoClient client = _server.Client(Key);
        Model model = await client.ImportModelAsync(Packages.Write(_files, "lw.discomodel", seed: 5));
        await GriddedDatasets.StoreFieldAsync(_server, "field", model.Grid, offset: -10);
        List<string> ids = [];
        for (int i = 0; i < 3; i++)
        {
            ids.Add((await client.PredictToArrayAsync(new PredictRequest { Model = model.Name, Dataset = "field", Name = $"p{i}" })).Prediction.Id);
        }

        JsonNode landing = await GetJsonAsync("/stac");
        Assert.Equal("Catalog", landing["type"]!.GetValue<string>());
        Assert.Contains(landing["links"]!.AsArray(), l => l!["rel"]!.GetValue<string>() == "child" && l["href"]!.GetValue<string>().EndsWith("/stac/collections/predictions", StringComparison.Ordinal));
        JsonNode collection = await GetJsonAsync("/stac/collections/predictions");
        Assert.Equal(("Collection", "predictions"), (collection["type"]!.GetValue<string>(), collection["id"]!.GetValue<string>()));
        Assert.Equal("predictions", (await GetJsonAsync("/stac/collections"))["collections"]![0]!["id"]!.GetValue<string>());

        // Two pages of two, oldest first, following the next link as a client would.
        List<string> seen = [];
        string? next = Items + "?limit=2";
        int pages = 0;
        while (next is not null)
        {
            JsonNode page = await GetJsonAsync(next);
            pages++;
            Assert.Equal("FeatureCollection", page["type"]!.GetValue<string>());
            JsonArray features = page["features"]!.AsArray();
            Assert.Equal(features.Count, page["numberReturned"]!.GetValue<int>());
            foreach (JsonNode? feature in features)
            {
                StacSchemas.AssertValidItem(feature!);
                seen.Add(feature!["id"]!.GetValue<string>());
            }

            string? href = page["links"]!.AsArray().FirstOrDefault(l => l!["rel"]!.GetValue<string>() == "next")?["href"]?.GetValue<string>();
            next = href is null ? null : new Uri(href).PathAndQuery;
        }

        Assert.Equal(ids, seen);
        Assert.Equal(2, pages);

        // One Item, and its COG asset served as a real COG.
        JsonNode item = await GetJsonAsync($"{Items}/{ids[1]}");
        StacSchemas.AssertValidItem(item);
        Assert.Equal(ids[1], item["id"]!.GetValue<string>());
        Assert.Equal(["cog", "geojson", "png"], item["assets"]!.AsObject().Select(a => a.Key).Order(StringComparer.Ordinal));
        Assert.EndsWith($"/tiles/{ids[1]}/WebMercatorQuad/{{z}}/{{x}}/{{y}}.png", item["properties"]!["disco:tiles"]!.GetValue<string>(), StringComparison.Ordinal);
        string cogUrl = new Uri(item["assets"]!["cog"]!["href"]!.GetValue<string>()).PathAndQuery;
        using (HttpResponseMessage cog = await _server.HttpGetAsync(cogUrl, Key))
        {
            Assert.Equal(HttpStatusCode.OK, cog.StatusCode);
            string path = Path.Combine(_files, "served.tif");
            await File.WriteAllBytesAsync(path, await cog.Content.ReadAsByteArrayAsync());
            using GdalDataset dataset = GdalDataset.Open(path);
            Assert.Equal("COG", dataset.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"));
            Assert.Equal((model.Grid.Nlon, model.Grid.Nlat), (dataset.Width, dataset.Height));
        }

        // Served assets leave nothing behind in the server's temporary directory.
        Assert.Empty(Directory.EnumerateFiles(_server.Get<Disco.Geo.Server.Storage.DataDirectory>().TempRoot));

        foreach (string unknown in new[] { $"{Items}/prd_00000000000000000000000000", $"{Items}/not-an-id", $"{Items}/{ids[0]}/assets/zip" })
        {
            using HttpResponseMessage response = await _server.HttpGetAsync(unknown, Key);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{unknown}: {response.StatusCode}");
        }

        foreach (string bad in new[] { Items + "?limit=0", Items + "?limit=101", Items + "?limit=x", Items + "?token=zzz" })
        {
            using HttpResponseMessage response = await _server.HttpGetAsync(bad, Key);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{bad}: {response.StatusCode}");
        }
    }

    [Fact]
    public async Task Every_stac_route_needs_the_key_when_one_is_configured()
    {
        foreach (string path in new[] { "/stac", "/stac/collections", "/stac/collections/predictions", Items, $"{Items}/prd_00000000000000000000000000", $"{Items}/prd_00000000000000000000000000/assets/cog" })
        {
            using HttpResponseMessage without = await _server.HttpGetAsync(path);
            Assert.True(without.StatusCode == HttpStatusCode.Unauthorized, $"{path}: {without.StatusCode}");
            using HttpResponseMessage wrong = await _server.HttpGetAsync(path, "not-the-key");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using HttpResponseMessage with = await _server.HttpGetAsync(Items, Key);
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
        Assert.Empty((await ReadJsonAsync(with))["features"]!.AsArray());
    }

    private async Task<JsonNode> GetJsonAsync(string path)
    {
        using HttpResponseMessage response = await _server.HttpGetAsync(path, Key);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await ReadJsonAsync(response);
    }

    private static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
}
