using Disco.Geo.Engine;
using Disco.Geo.Server.Application.Predictions;
using Disco.Geo.Server.Options;

namespace Disco.Geo.Server.Tiles;

/// <summary>
/// The /tiles routes (tiles, TileJSON, WMTS capabilities), answering GET and HEAD, and their CORS policy. The API key
/// rules of every other HTTP route apply (Security/HttpApiKeyMiddleware); CORS preflights pass before the key check.
/// </summary>
internal static class TileRoutes
{
    public const string TileJsonRoute = "/tiles/{predictionId}/{tileMatrixSet}/tilejson.json";
    public const string DefaultTileJsonRoute = "/tiles/{predictionId}/tilejson.json";
    public const string WmtsRoute = "/tiles/{predictionId}/WMTSCapabilities.xml";
    public const string ViewerRoute = "/tiles/{predictionId}/viewer.html";
    private const string CorsPolicy = "tiles";
    private static readonly string[] Methods = [HttpMethods.Get, HttpMethods.Head];

    /// <summary>Registers the CORS policy of the tile routes from Server:CorsOrigins ("*", a comma-separated list, or "none").</summary>
    public static IServiceCollection AddTileCors(this IServiceCollection services, string? origins)
    {
        string[] allowed = (origins ?? OptionDefaults.CorsOrigins).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string origin in allowed.Where(o => o is not "*" and not "none"))
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/" || origin.EndsWith('/'))
            {
                throw new ServerConfigurationException(
                    $"Server:CorsOrigins entry '{origin}' is not an origin; give scheme://host[:port] (e.g. https://maps.example.org), \"*\" or \"none\".");
            }
        }

        services.AddCors(options => options.AddPolicy(CorsPolicy, policy =>
        {
            if (allowed.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                // "none" (or an empty list) allows no origin: the policy then adds no CORS headers.
                policy.WithOrigins([.. allowed.Where(o => o != "none")]);
            }

            // The key travels in a header (never in the URL, where logs and referrers would keep it); a page that has
            // it may send it. ETag is exposed so scripts can revalidate.
            policy.WithMethods(HttpMethods.Get, HttpMethods.Head)
                .WithHeaders(SecurityOptions.ApiKeyHeader, "authorization", "if-none-match")
                .WithExposedHeaders("ETag", "Content-Length")
                .SetPreflightMaxAge(TimeSpan.FromDays(1));
        }));
        return services;
    }

    public static void MapTileEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods(TileEndpoint.Route, Methods, TileEndpoint.GetAsync).RequireCors(CorsPolicy);
        app.MapMethods(TileJsonRoute, Methods, GetTileJsonAsync).RequireCors(CorsPolicy);
        app.MapMethods(DefaultTileJsonRoute, Methods, (string predictionId, HttpContext context, IPredictionMaps maps, IMapTileRenderer renderer, CancellationToken cancellationToken) =>
            GetTileJsonAsync(predictionId, TileMatrixSets.WebMercatorQuad, context, maps, renderer, cancellationToken)).RequireCors(CorsPolicy);
        app.MapMethods(WmtsRoute, Methods, GetWmtsCapabilitiesAsync).RequireCors(CorsPolicy);
        app.MapMethods(ViewerRoute, Methods, GetViewerAsync);
        LeafletFiles.Map(app);
    }

    /// <summary>
    /// The absolute URL the client reached the server at, path base included: documents point back to this server
    /// as the client sees it (host name, port, scheme), not as it binds.
    /// </summary>
    public static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}";

    private static async Task<IResult> GetTileJsonAsync(
        string predictionId, string tileMatrixSet, HttpContext context, IPredictionMaps maps, IMapTileRenderer renderer, CancellationToken cancellationToken)
    {
        if (!TileMatrixSets.IsKnown(tileMatrixSet))
        {
            return ImmutableResponses.Text(404, TileMatrixSets.UnknownText(tileMatrixSet));
        }

        string? format = context.Request.Query["format"];
        format ??= TileFormats.Png;
        if (!TileFormats.IsKnown(format) || !renderer.SupportsFormat(format))
        {
            return ImmutableResponses.Text(404, TileFormats.UnavailableText(format, renderer));
        }

        (PredictionMap? map, IResult? refusal) = await TileEndpoint.FindAsync(predictionId, maps, cancellationToken);
        if (map is null)
        {
            return refusal!;
        }

        MapLegend legend = await renderer.DescribeAsync(map, cancellationToken);
        byte[] body = TileJsonDocument.Write(BaseUrl(context.Request), map, tileMatrixSet, format, legend);
        return ImmutableResponses.Content(context, body, "application/json");
    }

    private static async Task<IResult> GetViewerAsync(
        string predictionId, HttpContext context, IPredictionMaps maps, IMapTileRenderer renderer, LeafletFiles leaflet, CancellationToken cancellationToken)
    {
        string? zoomText = context.Request.Query["z"];
        int zoom = 1;
        if (zoomText is not null && (!int.TryParse(zoomText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out zoom) || zoom > MapViewerPage.MaxViewerZoom))
        {
            return ImmutableResponses.Text(404, $"The viewer opens at zoom levels 0..{MapViewerPage.MaxViewerZoom}; z={Disco.Geo.Server.Problems.ClientText.Shorten(zoomText)} is not one.\n");
        }

        (PredictionMap? map, IResult? refusal) = await TileEndpoint.FindAsync(predictionId, maps, cancellationToken);
        if (map is null)
        {
            return refusal!;
        }

        if (!leaflet.Available)
        {
            // Not cached as immutable: the page works once the package is installed.
            return ImmutableResponses.Text(StatusCodes.Status503ServiceUnavailable, LeafletFiles.MissingText + "\n");
        }

        MapLegend legend = await renderer.DescribeAsync(map, cancellationToken);
        return ImmutableResponses.Content(context, MapViewerPage.Write(BaseUrl(context.Request), map, zoom, legend), "text/html; charset=utf-8");
    }

    private static async Task<IResult> GetWmtsCapabilitiesAsync(
        string predictionId, HttpContext context, IPredictionMaps maps, IMapTileRenderer renderer, CancellationToken cancellationToken)
    {
        (PredictionMap? map, IResult? refusal) = await TileEndpoint.FindAsync(predictionId, maps, cancellationToken);
        if (map is null)
        {
            return refusal!;
        }

        byte[] body = WmtsCapabilitiesDocument.Write(BaseUrl(context.Request), map, TileFormats.Available(renderer));
        return ImmutableResponses.Content(context, body, "application/xml");
    }
}
