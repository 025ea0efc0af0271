using System.Net;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests.Tiles;

/// <summary>
/// HTTP behaviour of the tile routes over a real socket, as browsers, QGIS and caching proxies use it: immutable
/// caching with strong ETags and 304, HEAD, CORS (default any origin, configured lists, preflights before the API key
/// check), and plain-text 404s for tiles outside the tile matrix set, as morecantile/TiTiler give them.
/// </summary>
public sealed class TileHttpTests(TilePredictions predictions) : IClassFixture<TilePredictions>
{
    private static readonly HttpClient Http = new();

    private string Id => predictions.Segmentation.Prediction.Id;

    public static TheoryData<string> DocumentAndTilePaths => new()
    {
        "/tiles/{id}/WebMercatorQuad/1/1/0.png",
        "/tiles/{id}/WorldCRS84Quad/tilejson.json",
        "/tiles/{id}/WMTSCapabilities.xml",
    };

    [Theory]
    [MemberData(nameof(DocumentAndTilePaths))]
    public async Task Finished_prediction_responses_are_immutable_with_a_strong_etag_and_answer_if_none_match_with_304(string path)
    {
        path = path.Replace("{id}", Id, StringComparison.Ordinal);
        using HttpResponseMessage first = await SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("public, max-age=31536000, immutable", first.Headers.CacheControl?.ToString());
        Assert.NotNull(first.Headers.ETag);
        Assert.False(first.Headers.ETag.IsWeak);
        byte[] body = await first.Content.ReadAsByteArrayAsync();
        Assert.NotEmpty(body);

        // Same bytes, same tag: the tag is a hash of the body, so a second request (the map now cached) agrees.
        using HttpResponseMessage again = await SendAsync(HttpMethod.Get, path);
        Assert.Equal(first.Headers.ETag, again.Headers.ETag);
        Assert.Equal(body, await again.Content.ReadAsByteArrayAsync());

        using HttpResponseMessage notModified = await SendAsync(HttpMethod.Get, path, r => r.Headers.TryAddWithoutValidation("If-None-Match", $"\"other\", {first.Headers.ETag}"));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(first.Headers.ETag, notModified.Headers.ETag);
        Assert.Equal("public, max-age=31536000, immutable", notModified.Headers.CacheControl?.ToString());
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        using HttpResponseMessage stale = await SendAsync(HttpMethod.Get, path, r => r.Headers.TryAddWithoutValidation("If-None-Match", "\"0123\""));
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);

        using HttpResponseMessage head = await SendAsync(HttpMethod.Head, path);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(first.Headers.ETag, head.Headers.ETag);
        Assert.Equal(first.Content.Headers.ContentType, head.Content.Headers.ContentType);
        Assert.Equal(body.Length, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Different_tiles_and_formats_have_different_etags()
    {
        using HttpResponseMessage a = await SendAsync(HttpMethod.Get, $"/tiles/{Id}/WebMercatorQuad/1/0/0.png");
        using HttpResponseMessage b = await SendAsync(HttpMethod.Get, $"/tiles/{Id}/WebMercatorQuad/1/1/0.png");
        using HttpResponseMessage webp = await SendAsync(HttpMethod.Get, $"/tiles/{Id}/WebMercatorQuad/1/0/0.webp");
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], new[] { a.StatusCode, b.StatusCode, webp.StatusCode });
        Assert.Equal(3, new[] { a.Headers.ETag, b.Headers.ETag, webp.Headers.ETag }.Distinct().Count());
        Assert.Equal("image/webp", webp.Content.Headers.ContentType?.MediaType);
        byte[] bytes = await webp.Content.ReadAsByteArrayAsync();
        Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(bytes, 0, 4));
        Assert.Equal("WEBP", System.Text.Encoding.ASCII.GetString(bytes, 8, 4));

        // Lossless: GDAL decodes the WebP tile to exactly the PNG tile's pixels (class colours and transparency).
        string directory = Temp.Directory("tiles-webp");
        try
        {
            string pngPath = Path.Combine(directory, "tile.png"), webpPath = Path.Combine(directory, "tile.webp");
            await File.WriteAllBytesAsync(pngPath, await a.Content.ReadAsByteArrayAsync());
            await File.WriteAllBytesAsync(webpPath, bytes);
            using Disco.Geo.Gdal.GdalDataset png = Disco.Geo.Gdal.GdalDataset.Open(pngPath), decoded = Disco.Geo.Gdal.GdalDataset.Open(webpPath);
            Assert.Equal((256, 256), (decoded.Width, decoded.Height));
            byte[] Read(Disco.Geo.Gdal.GdalDataset image, int band)
            {
                byte[] pixels = new byte[256 * 256];
                image.GetBand(band).Read<byte>(pixels, 0, 0, 256, 256);
                return pixels;
            }

            // libwebp leaves out an alpha channel that is opaque everywhere (this global map's tile is), and GDAL then
            // decodes three bands; a tile with transparent pixels keeps its fourth.
            Assert.True(decoded.BandCount == 4 || Read(png, 4).All(a => a == 255), $"the WebP tile has {decoded.BandCount} bands but the PNG tile has transparent pixels");
            for (int band = 1; band <= decoded.BandCount; band++)
            {
                Assert.True(Read(png, band).AsSpan().SequenceEqual(Read(decoded, band)), $"band {band} of the WebP tile differs from the PNG tile");
            }
        }
        finally
        {
            Temp.Delete(directory);
        }
    }

    [Theory]
    [InlineData("/tiles/{id}/WebMercatorQuad/25/0/0.png", "Zoom level 25 is not in the WebMercatorQuad tile matrix set: it has levels 0..24.")]
    [InlineData("/tiles/{id}/WebMercatorQuad/-1/0/0.png", "Zoom level -1 is not in the WebMercatorQuad tile matrix set: it has levels 0..24.")]
    [InlineData("/tiles/{id}/WebMercatorQuad/1/2/0.png", "Tile 1/2/0 is outside the WebMercatorQuad tile matrix 1: x is 0..1 and y is 0..1.")]
    [InlineData("/tiles/{id}/WorldCRS84Quad/1/3/2.png", "Tile 1/3/2 is outside the WorldCRS84Quad tile matrix 1: x is 0..3 and y is 0..1.")]
    [InlineData("/tiles/{id}/WorldCRS84Quad/0/-1/0.png", "Tile 0/-1/0 is outside the WorldCRS84Quad tile matrix 0: x is 0..1 and y is 0..0.")]
    [InlineData("/tiles/{id}/GoogleMapsCompatible/0/0/0.png", "Unknown tile matrix set 'GoogleMapsCompatible'; use WebMercatorQuad or WorldCRS84Quad.")]
    [InlineData("/tiles/{id}/GoogleMapsCompatible/tilejson.json", "Unknown tile matrix set 'GoogleMapsCompatible'; use WebMercatorQuad or WorldCRS84Quad.")]
    [InlineData("/tiles/{id}/WebMercatorQuad/0/0/0.jpg", "Tiles are not served as '.jpg'; use .png or .webp.")]
    [InlineData("/tiles/prd_01M88H4Z67HD4W5C06392PXC16/WebMercatorQuad/0/0/0.png", "No prediction 'prd_01M88H4Z67HD4W5C06392PXC16'.")]
    [InlineData("/tiles/prd_01M88H4Z67HD4W5C06392PXC16/tilejson.json", "No prediction 'prd_01M88H4Z67HD4W5C06392PXC16'.")]
    [InlineData("/tiles/prd_01M88H4Z67HD4W5C06392PXC16/WMTSCapabilities.xml", "No prediction 'prd_01M88H4Z67HD4W5C06392PXC16'.")]
    public async Task Unknown_and_out_of_range_tiles_are_404_with_a_plain_text_reason(string path, string reason)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, path.Replace("{id}", Id, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(response.Headers.ETag);
        Assert.Null(response.Headers.CacheControl);
    }

    [Theory]
    [InlineData("Pending")]
    [InlineData("Failed")]
    public async Task A_prediction_that_is_not_finished_is_409_with_its_state_and_never_cached(string state)
    {
        string stateText = state.ToLowerInvariant();
        // The finished prediction's record under a new id, in another state: what the catalog holds while a
        // prediction job runs or after it failed.
        var catalog = predictions.Server.Get<ICatalog>();
        PredictionRecord record = (await catalog.FindPredictionAsync(Id, CancellationToken.None))!.Clone();
        record.Id = Ids.New(Ids.Prediction);
        record.Name = "unfinished-" + stateText;
        record.RequestId = "";
        record.State = Enum.Parse<PredictionRecordState>(state);
        await catalog.SavePredictionAsync(record, CancellationToken.None);

        foreach (string path in new[] { $"/tiles/{record.Id}/WebMercatorQuad/0/0/0.png", $"/tiles/{record.Id}/tilejson.json", $"/tiles/{record.Id}/WMTSCapabilities.xml" })
        {
            using HttpResponseMessage response = await SendAsync(HttpMethod.Get, path);
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal($"Prediction {record.Id} is {stateText}; only finished predictions have a map.\n", await response.Content.ReadAsStringAsync());
            Assert.Null(response.Headers.CacheControl);
            Assert.Null(response.Headers.ETag);
        }
    }

    [Fact]
    public async Task By_default_any_origin_may_read_tiles_and_preflights_are_answered()
    {
        using HttpResponseMessage tile = await SendAsync(HttpMethod.Get, $"/tiles/{Id}/WebMercatorQuad/0/0/0.png", r => r.Headers.Add("Origin", "https://maps.example.org"));
        Assert.Equal("*", Header(tile, "Access-Control-Allow-Origin"));
        Assert.Contains("ETag", Header(tile, "Access-Control-Expose-Headers") ?? "", StringComparison.OrdinalIgnoreCase);

        using HttpResponseMessage preflight = await SendAsync(HttpMethod.Options, $"/tiles/{Id}/WMTSCapabilities.xml", r =>
        {
            r.Headers.Add("Origin", "https://maps.example.org");
            r.Headers.Add("Access-Control-Request-Method", "GET");
            r.Headers.Add("Access-Control-Request-Headers", "x-api-key");
        });
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal("*", Header(preflight, "Access-Control-Allow-Origin"));
        Assert.Contains("x-api-key", Header(preflight, "Access-Control-Allow-Headers") ?? "", StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Configured_origins_are_the_only_ones_allowed_and_preflights_pass_the_api_key_check()
    {
        const string Key = "tile-key-0123456789";
        await using TestServer server = await TestServer.StartAsync(["--cors-origins", "https://maps.example.org, http://localhost:8080", "--api-key", Key]);
        string path = "/tiles/prd_01M88H4Z67HD4W5C06392PXC16/WebMercatorQuad/0/0/0.png";

        using HttpResponseMessage allowed = await SendAsync(server, HttpMethod.Get, path, r =>
        {
            r.Headers.Add("Origin", "http://localhost:8080");
            r.Headers.Add("x-api-key", Key);
        });
        Assert.Equal(HttpStatusCode.NotFound, allowed.StatusCode);
        Assert.Equal("http://localhost:8080", Header(allowed, "Access-Control-Allow-Origin"));

        using HttpResponseMessage other = await SendAsync(server, HttpMethod.Get, path, r =>
        {
            r.Headers.Add("Origin", "https://evil.example.com");
            r.Headers.Add("x-api-key", Key);
        });
        Assert.Null(Header(other, "Access-Control-Allow-Origin"));

        // A browser's preflight never carries the key; it is answered, and the refusal of a keyless GET carries the
        // CORS headers so the page can read why.
        using HttpResponseMessage preflight = await SendAsync(server, HttpMethod.Options, path, r =>
        {
            r.Headers.Add("Origin", "https://maps.example.org");
            r.Headers.Add("Access-Control-Request-Method", "GET");
            r.Headers.Add("Access-Control-Request-Headers", "x-api-key");
        });
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal("https://maps.example.org", Header(preflight, "Access-Control-Allow-Origin"));
        using HttpResponseMessage keyless = await SendAsync(server, HttpMethod.Get, path, r => r.Headers.Add("Origin", "https://maps.example.org"));
        Assert.Equal(HttpStatusCode.Unauthorized, keyless.StatusCode);
        Assert.Equal("https://maps.example.org", Header(keyless, "Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("maps.example.org")]
    [InlineData("https://maps.example.org/")]
    [InlineData("ftp://maps.example.org")]
    public async Task A_cors_origin_that_is_not_an_origin_stops_the_server_with_a_clear_message(string origin)
    {
        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => TestServer.StartAsync(["--cors-origins", origin]));
        Assert.Contains($"Server:CorsOrigins entry '{origin}' is not an origin", error.Message, StringComparison.Ordinal);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(", ", values) : null;

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(predictions.Server, method, path, configure);

    private static async Task<HttpResponseMessage> SendAsync(TestServer server, HttpMethod method, string path, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, server.HttpAddress + path);
        configure?.Invoke(request);
        return await Http.SendAsync(request);
    }
}
