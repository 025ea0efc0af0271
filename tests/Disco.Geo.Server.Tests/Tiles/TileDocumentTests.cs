using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests.Tiles;

/// <summary>
/// The TileJSON 3.0 and WMTS 1.0 capabilities documents of finished predictions, read from a real server: URLs built
/// from the request, zooms from the grid, the legend (classes, or the viridis ramp over the value range), and the OGC
/// numbers of both tile matrix sets.
/// </summary>
public sealed class TileDocumentTests(TilePredictions predictions) : IClassFixture<TilePredictions>
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task TileJson_of_a_class_map_has_the_tile_template_from_the_request_zooms_bounds_and_the_class_legend()
    {
        string id = predictions.Segmentation.Prediction.Id;
        using JsonDocument json = await GetJsonAsync($"/tiles/{id}/WebMercatorQuad/tilejson.json", host: "maps.example.org:8080");
        JsonElement root = json.RootElement;
        Assert.Equal("3.0.0", root.GetProperty("tilejson").GetString());
        Assert.Equal(id, root.GetProperty("name").GetString());
        Assert.Equal("xyz", root.GetProperty("scheme").GetString());
        Assert.Equal([$"http://maps.example.org:8080/tiles/{id}/WebMercatorQuad/{{z}}/{{x}}/{{y}}.png"], Strings(root.GetProperty("tiles")));
        // 36 columns fit in one 256-pixel tile: native zoom 0, plus the two levels offered beyond it.
        Assert.Equal((0, 2), (root.GetProperty("minzoom").GetInt32(), root.GetProperty("maxzoom").GetInt32()));
        Assert.Equal([-180, -85.0511287798066, 180, 85.0511287798066], Numbers(root.GetProperty("bounds")));
        Assert.Equal([0, 0, 0], Numbers(root.GetProperty("center")));

        JsonElement legend = root.GetProperty("legend");
        Assert.Equal("classes", legend.GetProperty("type").GetString());
        Assert.Equal(
            predictions.SegmentationModel.Classes.Select(c => (c.Id, c.Name, c.Color.ToLowerInvariant())),
            legend.GetProperty("classes").EnumerateArray().Select(c => (c.GetProperty("value").GetInt32(), c.GetProperty("name").GetString()!, c.GetProperty("color").GetString()!)));
        Assert.Equal(["water", "land"], predictions.SegmentationModel.Classes.Select(c => c.Name));

        // TiTiler's short form serves WebMercatorQuad; WorldCRS84Quad has its own template and, with twice the tiles
        // per level, one native level less.
        using JsonDocument shortForm = await GetJsonAsync($"/tiles/{id}/tilejson.json", host: "maps.example.org:8080");
        Assert.Equal(root.GetRawText(), shortForm.RootElement.GetRawText());
        using JsonDocument crs84 = await GetJsonAsync($"/tiles/{id}/WorldCRS84Quad/tilejson.json");
        Assert.Equal([$"{predictions.Server.HttpAddress}/tiles/{id}/WorldCRS84Quad/{{z}}/{{x}}/{{y}}.png"], Strings(crs84.RootElement.GetProperty("tiles")));
        Assert.Equal([-180, -90, 180, 90], Numbers(crs84.RootElement.GetProperty("bounds")));
        Assert.Equal(2, crs84.RootElement.GetProperty("maxzoom").GetInt32());
    }

    [Fact]
    public async Task TileJson_of_a_continuous_map_gives_the_viridis_ramp_over_the_maps_value_range()
    {
        var map = predictions.Regression;
        float[] valid = [.. map.Values.Where((_, k) => map.Mask.Length == 0 || map.Mask[k] != 0)];
        using JsonDocument json = await GetJsonAsync($"/tiles/{map.Prediction.Id}/WebMercatorQuad/tilejson.json");
        JsonElement legend = json.RootElement.GetProperty("legend");
        Assert.Equal("ramp", legend.GetProperty("type").GetString());
        Assert.Equal("viridis", legend.GetProperty("colormap").GetString());
        Assert.Equal(valid.Min(), legend.GetProperty("min").GetDouble(), 5);
        Assert.Equal(valid.Max(), legend.GetProperty("max").GetDouble(), 5);
        Assert.True(valid.Max() > valid.Min(), "the untrained network should give a non-constant map");
        JsonElement[] stops = [.. legend.GetProperty("stops").EnumerateArray()];
        Assert.Equal(11, stops.Length);
        Assert.Equal(("#440154", "#fde725"), (stops[0].GetProperty("color").GetString(), stops[^1].GetProperty("color").GetString()));
        Assert.Equal(legend.GetProperty("min").GetDouble(), stops[0].GetProperty("value").GetDouble());
        Assert.Equal(legend.GetProperty("max").GetDouble(), stops[^1].GetProperty("value").GetDouble());
        double[] values = [.. stops.Select(s => s.GetProperty("value").GetDouble())];
        Assert.Equal(values.Order(), values);
    }

    [Fact]
    public async Task Wmts_capabilities_list_both_tile_matrix_sets_with_the_ogc_scales_corners_and_matrix_sizes()
    {
        string id = predictions.Segmentation.Prediction.Id;
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, $"/tiles/{id}/WMTSCapabilities.xml");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/xml", response.Content.Headers.ContentType?.MediaType);
        XDocument document = XDocument.Parse(await response.Content.ReadAsStringAsync());
        XNamespace wmts = "http://www.opengis.net/wmts/1.0", ows = "http://www.opengis.net/ows/1.1";
        XElement root = document.Root!;
        Assert.Equal((wmts + "Capabilities", "1.0.0"), (root.Name, (string?)root.Attribute("version")));
        XElement contents = root.Element(wmts + "Contents")!;
        XElement layer = contents.Element(wmts + "Layer")!;
        Assert.Equal(id, layer.Element(ows + "Identifier")!.Value);
        Assert.Equal(["WebMercatorQuad", "WorldCRS84Quad"], layer.Elements(wmts + "TileMatrixSetLink").Select(l => l.Element(wmts + "TileMatrixSet")!.Value));
        XElement png = layer.Elements(wmts + "ResourceURL").Single(r => (string?)r.Attribute("format") == "image/png");
        Assert.Equal($"{predictions.Server.HttpAddress}/tiles/{id}/{{TileMatrixSet}}/{{TileMatrix}}/{{TileCol}}/{{TileRow}}.png", (string?)png.Attribute("template"));
        Assert.Equal("tile", (string?)png.Attribute("resourceType"));

        var sets = contents.Elements(wmts + "TileMatrixSet").ToDictionary(s => s.Element(ows + "Identifier")!.Value);
        Assert.Equal(["WebMercatorQuad", "WorldCRS84Quad"], sets.Keys);
        Assert.Equal("urn:ogc:def:crs:EPSG::3857", sets["WebMercatorQuad"].Element(ows + "SupportedCRS")!.Value);
        Assert.Equal("urn:ogc:def:crs:OGC:1.3:CRS84", sets["WorldCRS84Quad"].Element(ows + "SupportedCRS")!.Value);
        // OGC 17-083r2, annexes D.1 and D.2: level 0 scale denominators 559082264.0287178 and 279541132.0143589, each
        // level halving the one before.
        (string Set, double Scale0, string Corner, int Columns0)[] expected =
        [
            ("WebMercatorQuad", 559082264.0287178, "-20037508.342789244 20037508.342789244", 1),
            ("WorldCRS84Quad", 279541132.0143589, "-180 90", 2),
        ];
        foreach ((string set, double scale0, string corner, int columns0) in expected)
        {
            XElement[] matrices = [.. sets[set].Elements(wmts + "TileMatrix")];
            Assert.Equal(["0", "1", "2"], matrices.Select(m => m.Element(ows + "Identifier")!.Value));
            for (int z = 0; z < matrices.Length; z++)
            {
                XElement m = matrices[z];
                double scale = double.Parse(m.Element(wmts + "ScaleDenominator")!.Value, CultureInfo.InvariantCulture);
                Assert.Equal(scale0 / (1 << z), scale, scale0 * 1e-12);
                Assert.Equal(corner, m.Element(wmts + "TopLeftCorner")!.Value);
                Assert.Equal(("256", "256"), (m.Element(wmts + "TileWidth")!.Value, m.Element(wmts + "TileHeight")!.Value));
                Assert.Equal((columns0 << z, 1 << z), (int.Parse(m.Element(wmts + "MatrixWidth")!.Value, CultureInfo.InvariantCulture), int.Parse(m.Element(wmts + "MatrixHeight")!.Value, CultureInfo.InvariantCulture)));
            }
        }
    }

    [Fact]
    public async Task A_server_with_a_path_base_serves_tiles_under_it_and_puts_it_in_every_document_url()
    {
        string files = Temp.Directory("tiles-path-base");
        await using TestServer server = await TestServer.StartAsync(["--path-base", "/disco"]);
        try
        {
            using DiscoClient client = server.Client();
            Model model = await client.ImportModelAsync(Packages.Write(files, "lw.discomodel"));
            await GriddedDatasets.StoreFieldAsync(server, "field", model.Grid);
            string id = (await client.PredictToArrayAsync(new PredictRequest { Model = model.Name, Dataset = "field" })).Prediction.Id;

            using HttpResponseMessage tileJson = await server.HttpGetAsync($"/disco/tiles/{id}/tilejson.json");
            Assert.Equal(HttpStatusCode.OK, tileJson.StatusCode);
            using JsonDocument json = JsonDocument.Parse(await tileJson.Content.ReadAsStringAsync());
            string template = Strings(json.RootElement.GetProperty("tiles")).Single();
            Assert.Equal($"{server.HttpAddress}/disco/tiles/{id}/WebMercatorQuad/{{z}}/{{x}}/{{y}}.png", template);
            using HttpResponseMessage tile = await server.HttpGetAsync(template.Replace("{z}/{x}/{y}", "0/0/0", StringComparison.Ordinal)[server.HttpAddress.Length..]);
            Assert.Equal((HttpStatusCode.OK, "image/png"), (tile.StatusCode, tile.Content.Headers.ContentType?.MediaType));

            using HttpResponseMessage wmts = await server.HttpGetAsync($"/disco/tiles/{id}/WMTSCapabilities.xml");
            Assert.Contains($"template=\"{server.HttpAddress}/disco/tiles/{id}/{{TileMatrixSet}}/", await wmts.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            Temp.Delete(files);
        }
    }

    private async Task<JsonDocument> GetJsonAsync(string path, string? host = null)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, path, host);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? host = null)
    {
        using var request = new HttpRequestMessage(method, predictions.Server.HttpAddress + path);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        return await Http.SendAsync(request);
    }

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    private static double[] Numbers(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetDouble())];
}
