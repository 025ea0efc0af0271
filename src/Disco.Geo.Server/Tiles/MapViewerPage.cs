using System.Globalization;
using System.Net;
using System.Text;
using Disco.Geo.Engine;

namespace Disco.Geo.Server.Tiles;

/// <summary>
/// GET /tiles/{predictionId}/viewer.html?z=N: a Leaflet map of a finished prediction's WebMercatorQuad XYZ tiles,
/// opening on the whole world at zoom N (the map is 256·2^N pixels a side, so one zoom level fills it exactly), with
/// pan and zoom up to the TileJSON's maxzoom, and the legend below it. Leaflet is loaded from this server
/// (<see cref="LeafletFiles"/>). Animations are off, so a tile is drawn at full opacity as soon as it loads (what a
/// headless browser's screenshot sees).
/// </summary>
internal static class MapViewerPage
{
    /// <summary>The largest zoom the page opens at (the map is then 4096 pixels a side).</summary>
    public const int MaxViewerZoom = 4;

    public static byte[] Write(string baseUrl, PredictionMap map, int zoom, MapLegend legend)
    {
        int size = (1 << zoom) * TileMatrixSets.TileSize;
        int maxZoom = TileMatrixSets.MaxZoomFor(TileMatrixSets.WebMercatorQuad, map.Grid.NLon);
        double limit = TileMatrixSets.MercatorMaxLatitude;
        string id = WebUtility.HtmlEncode(map.PredictionId);
        // The id is an HTML-safe token ([A-Za-z0-9_-]), so it may stand in the script's string literal too.
        string tiles = $"{baseUrl}/tiles/{id}/{TileMatrixSets.WebMercatorQuad}/{{z}}/{{x}}/{{y}}.png";
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>{{id}}</title>
            <link rel="stylesheet" href="{{baseUrl}}{{LeafletFiles.UrlPath}}/leaflet.css">
            <script src="{{baseUrl}}{{LeafletFiles.UrlPath}}/leaflet.js"></script>
            <style>
            body { margin: 0; font: 13px sans-serif; background: #fff; }
            #map { width: {{size}}px; height: {{size}}px; background: #fff; }
            #legend { padding: 8px; }
            .swatch { display: inline-block; width: 14px; height: 14px; vertical-align: middle; margin-right: 4px; }
            </style>
            </head>
            <body>
            <div id="map"></div>
            <div id="legend">

            """);
        WriteLegend(html, id, legend);
        html.Append(CultureInfo.InvariantCulture,
            $"<div>TileJSON: <a href=\"{baseUrl}/tiles/{id}/tilejson.json\">tilejson.json</a>, WMTS: <a href=\"{baseUrl}/tiles/{id}/WMTSCapabilities.xml\">WMTSCapabilities.xml</a></div>\n");
        html.Append(CultureInfo.InvariantCulture, $$"""
            </div>
            <script>
            if (typeof L === "undefined") {
              document.getElementById("map").textContent = {{System.Text.Json.JsonSerializer.Serialize(LeafletFiles.MissingText)}};
            } else {
              var map = L.map("map", { fadeAnimation: false, zoomAnimation: false, markerZoomAnimation: false, minZoom: 0, maxZoom: {{maxZoom}} });
              L.tileLayer("{{tiles}}", {
                minZoom: 0, maxZoom: {{maxZoom}}, noWrap: true, bounds: [[{{-limit:R}}, -180], [{{limit:R}}, 180]],
                attribution: "Disco.Geo prediction {{id}}"
              }).addTo(map);
              map.setView([0, 0], {{zoom}});
            }
            </script>
            </body>
            </html>

            """);
        return Encoding.UTF8.GetBytes(html.ToString());
    }

    private static void WriteLegend(StringBuilder html, string id, MapLegend legend)
    {
        html.Append(CultureInfo.InvariantCulture, $"<div><b>{id}</b> ({WebUtility.HtmlEncode(legend.Band)})</div>\n");
        if (legend.IsCategorical)
        {
            foreach (LegendClass item in legend.Classes)
            {
                html.Append(CultureInfo.InvariantCulture,
                    $"<div><span class=\"swatch\" style=\"background:{item.Color}\"></span>{item.Id}: {WebUtility.HtmlEncode(item.Name)}</div>\n");
            }

            return;
        }

        double span = legend.Maximum - legend.Minimum;
        string gradient = string.Join(", ", legend.Stops.Select(s =>
            string.Create(CultureInfo.InvariantCulture, $"{s.Color} {(span > 0 ? (s.Value - legend.Minimum) / span * 100 : 0):0.##}%")));
        html.Append(CultureInfo.InvariantCulture,
            $"<div>{legend.Minimum:G6} <span style=\"display:inline-block;width:200px;height:14px;vertical-align:middle;background:linear-gradient(to right, {gradient})\"></span> {legend.Maximum:G6} ({WebUtility.HtmlEncode(legend.ColorMap)})</div>\n");
    }
}
